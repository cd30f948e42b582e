package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServiceEndpoints: what answers without a token: the version, the
// health check and the metrics.
func TestServiceEndpoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		anon := e.anon()
		var v struct {
			Version  *string  `json:"version"`
			Messages []string `json:"messages"`
		}
		anon.Do(t, "GET", "/api/v2/version", nil).want(t, http.StatusOK).decode(t, &v)
		if v.Version == nil || v.Messages == nil {
			t.Errorf("version answer lacks version or messages: %+v", v)
		}

		var h struct {
			Status string `json:"status"`
		}
		anon.Do(t, "GET", "/healthz", nil).want(t, http.StatusOK).decode(t, &h)
		if h.Status != "ok" {
			t.Errorf("healthz status %q, want ok", h.Status)
		}

		r := anon.Do(t, "GET", "/metrics", nil).want(t, http.StatusOK)
		for _, want := range []string{"kamonohashi_http_requests_total", `route="/api/v2/version"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}

		// Everything else under /api/v2 wants a token.
		for _, path := range []string{"/api/v2/account", "/api/v2/admin/users", "/api/v2/account/menus/tree"} {
			anon.Do(t, "GET", path, nil).wantProblem(t, http.StatusUnauthorized)
		}
	})
}

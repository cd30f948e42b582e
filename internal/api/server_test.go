package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthz(t *testing.T) {
	for name, tc := range map[string]struct {
		ready      bool
		check      error
		wantStatus int
		wantBody   string
	}{
		"starting":                 {ready: false, wantStatus: http.StatusServiceUnavailable, wantBody: `"starting"`},
		"ready and healthy":        {ready: true, wantStatus: http.StatusOK, wantBody: `"ok"`},
		"ready but database gone":  {ready: true, check: errors.New("connection refused"), wantStatus: http.StatusServiceUnavailable, wantBody: `"unhealthy"`},
		"starting with a bad ping": {ready: false, check: errors.New("x"), wantStatus: http.StatusServiceUnavailable, wantBody: `"starting"`},
	} {
		t.Run(name, func(t *testing.T) {
			s := New(nil, discardLog(), "test", WithHealthCheck(func(context.Context) error { return tc.check }))
			s.SetReady(tc.ready)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
			if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Errorf("healthz = %d %s, want %d with %s", w.Code, w.Body.String(), tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestAPIAnswers503UntilReady(t *testing.T) {
	s := New(nil, discardLog(), "test")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/api/v2/version", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("before ready: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

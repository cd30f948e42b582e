package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/api"
	"github.com/kamonohashi-go/kamonohashi/internal/app"
)

// responseValidator returns the check that every response of a test must
// pass: it must be one the server's own OpenAPI document describes.
func responseValidator(t *testing.T, a *app.App) responseCheck {
	t.Helper()
	check, err := api.ValidateResponse(api.OpenAPI(a.API.Routes(), "test"))
	if err != nil {
		t.Fatalf("build the response validator: %v", err)
	}
	return check
}

// TestResponseValidatorBites: the harness's validator refuses answers the
// document does not describe, so that a passing suite means something.
func TestResponseValidatorBites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cases := map[string]struct {
			method, path string
			status       int
			header       http.Header
			body         string
		}{
			"a login answer with a number for a token": {
				"POST", "/api/v2/account/login", http.StatusOK, jsonHeader(), `{"token":5,"userName":"a","tenantId":1,"tenantName":"s","expiresIn":1}`},
			"an error without the error body": {
				"GET", "/api/v2/account", http.StatusUnauthorized, jsonHeader(), `{"message":"no"}`},
			"a status the operation does not have": {
				"GET", "/api/v2/version", http.StatusTeapot, jsonHeader(), `{}`},
			"an operation the document does not have": {
				"PATCH", "/api/v2/account", http.StatusOK, jsonHeader(), `{}`},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, nil)
				if err := e.check(req, tc.status, tc.header, []byte(tc.body)); err == nil {
					t.Errorf("the validator accepted %s %s → %d %s", tc.method, tc.path, tc.status, tc.body)
				}
			})
		}
	})
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": []string{"application/json; charset=utf-8"}}
}

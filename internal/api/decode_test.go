package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		body, contentType string
		wantTitle         string // "" = success
		wantKind          apperr.Kind
		wantTooLarge      bool
	}{
		"valid body":                 {body: `{"name":"a","count":1}`, contentType: "application/json"},
		"charset parameter is fine":  {body: `{"name":"a"}`, contentType: "application/json; charset=utf-8"},
		"missing content type is ok": {body: `{"name":"a"}`},
		"empty body":                 {body: ``, wantTitle: "request body is required"},
		"malformed JSON":             {body: `{"name":`, wantTitle: "request body is not valid JSON"},
		"syntax error":               {body: `{"name" "a"}`, wantTitle: "request body is not valid JSON"},
		"unknown field":              {body: `{"nmae":"a"}`, wantTitle: `unknown field "nmae"`},
		"wrong type":                 {body: `{"count":"many"}`, wantTitle: "count must be int"},
		"trailing data":              {body: `{"name":"a"} {}`, wantTitle: "request body has data after the JSON value"},
		"form content type":          {body: `{}`, contentType: "application/x-www-form-urlencoded", wantTitle: `Content-Type "application/x-www-form-urlencoded" is not supported`, wantKind: apperr.KindUnsupportedMedia},
		"oversize body":              {body: `{"name":"` + strings.Repeat("x", maxJSONBody) + `"}`, wantTooLarge: true},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var got sample
			err := decodeJSON(httptest.NewRecorder(), r, &got)
			if tc.wantTooLarge {
				var mbe *http.MaxBytesError
				if !errors.As(err, &mbe) {
					t.Fatalf("want MaxBytesError, got %v", err)
				}
				return
			}
			if tc.wantTitle == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if tc.wantKind == 0 {
				tc.wantKind = apperr.KindInvalid
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != tc.wantKind || e.Title != tc.wantTitle {
				t.Fatalf("error = %v, want invalid %q", err, tc.wantTitle)
			}
		})
	}
}

func TestStringOrObject(t *testing.T) {
	for name, tc := range map[string]struct {
		body, want string
		wantErr    bool
	}{
		"bare JSON string (the original's form)": {body: `"secret-pass-1"`, want: "secret-pass-1"},
		"one-key object":                         {body: `{"password":"secret-pass-1"}`, want: "secret-pass-1"},
		"number is refused":                      {body: `12345678`, wantErr: true},
		"two-key object is refused":              {body: `{"a":"x","b":"y"}`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			var got StringOrObject
			err := decodeJSON(httptest.NewRecorder(), httptest.NewRequest("PUT", "/x", strings.NewReader(tc.body)), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got.Value != tc.want {
				t.Errorf("value = %q, want %q", got.Value, tc.want)
			}
		})
	}
}

func TestErrorBody(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api/v2/admin/users", nil)
	writeError(w, r, discardLog(), apperr.Forbidden("no").WithHeader("X-Permit-MenuCode", "User"))
	if w.Code != http.StatusForbidden {
		t.Fatalf("status %d", w.Code)
	}
	if got := w.Header()["X-Permit-MenuCode"]; len(got) != 1 || got[0] != "User" {
		t.Errorf("X-Permit-MenuCode as spelled = %v", got)
	}
	body := w.Body.String()
	for _, want := range []string{`"type":"https://tools.ietf.org/html/rfc9110#section-15.5.4"`, `"title":"no"`, `"status":403`, `"instance":"/api/v2/admin/users"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}

	w = httptest.NewRecorder()
	writeError(w, r, discardLog(), errors.New("database exploded: secret dsn"))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "secret dsn") {
		t.Errorf("internal error leaked or wrong status %d: %s", w.Code, w.Body.String())
	}

	// A client that went away is no server failure: 503, logged below error.
	var logged strings.Builder
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	w = httptest.NewRecorder()
	writeError(w, r.WithContext(ctx), slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo})),
		fmt.Errorf("verify: %w", context.Canceled))
	if w.Code != http.StatusServiceUnavailable || logged.Len() != 0 {
		t.Errorf("cancelled request: status %d, logged %q; want 503 and nothing at info", w.Code, logged.String())
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

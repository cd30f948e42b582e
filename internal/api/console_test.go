package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/web"
)

// TestConsole: the built console is served at / with the app's routes
// falling back to index.html; other methods and API paths are not the
// console's. Without a built console (a plain `go build`) / is the info page.
func TestConsole(t *testing.T) {
	s := testServer()
	s.SetReady(true)
	h := s.Handler()
	get := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	if rec := get("POST", "/data"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Header().Get("Content-Type"), "json") {
		t.Errorf("POST /data: %d %s, want the 404 error body", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := get("GET", "/api/v2/no-such"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no API endpoint") {
		t.Errorf("GET /api/v2/no-such: %d %s, want the API's 404", rec.Code, rec.Body)
	}
	if !web.Built() {
		if rec := get("GET", "/"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "KAMONOHASHI") {
			t.Errorf("GET / without a built console: %d, want the info page", rec.Code)
		}
		t.Skip("the console is not built (make web); only the fallback was checked")
	}
	for _, path := range []string{"/", "/data/12", "/dataset/edit/3", "/storage", "/storage/edit/1"} {
		rec := get("GET", path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") ||
			rec.Header().Get("Cache-Control") != "no-cache" || !strings.Contains(rec.Body.String(), `<div id="app">`) {
			t.Errorf("GET %s: %d %q %q, want index.html, not cached", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
		}
	}
	assets, err := fs.Glob(web.Assets(), "assets/*.js")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built assets: %v", err)
	}
	rec := get("GET", "/"+assets[0])
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("GET /%s: %d %q, want 200 cached for good", assets[0], rec.Code, rec.Header().Get("Cache-Control"))
	}
	req := httptest.NewRequest("GET", "/"+assets[0], nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	zrec := httptest.NewRecorder()
	h.ServeHTTP(zrec, req)
	zr, err := gzip.NewReader(zrec.Body)
	if err != nil || zrec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET /%s accepting gzip: %q, %v; want a gzip body", assets[0], zrec.Header().Get("Content-Encoding"), err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, rec.Body.Bytes()) || !strings.Contains(zrec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("gzip body differs from the file (%d vs %d bytes) or type %q", len(plain), rec.Body.Len(), zrec.Header().Get("Content-Type"))
	}
}

package api

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/web"
)

// console serves the web console: files under /assets/ with long caching
// (their names carry a content hash), and index.html for every other path
// so that the single-page app's routes (/data/12) load on refresh.
// Without a built console it falls back to the info page.
func (s *Server) console() http.Handler {
	assets := web.Assets()
	files := http.FileServerFS(assets)
	built := web.Built()
	zipped := &gzipCache{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, r, s.log, apperr.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
			return
		}
		if !built {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			s.home(w, r)
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if st, err := fs.Stat(assets, p); err == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				if zipped.serve(w, r, assets, p, st.ModTime()) {
					return
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		// index.html changes with every build: always revalidate.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: *; connect-src 'self' *; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		http.ServeFileFS(w, r, assets, "index.html")
	})
}

// gzipCache holds gzip-compressed copies of the console's text assets,
// made on first request: the files never change while the binary runs,
// and compressed they are about a third of their size (the UI library
// alone is 1 MB plain).
type gzipCache struct{ m sync.Map } // path -> []byte

// serve answers with the compressed copy when the client accepts gzip and
// the file is text; it reports whether it answered.
func (c *gzipCache) serve(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string, mod time.Time) bool {
	ext := path.Ext(name)
	if ext != ".js" && ext != ".css" && ext != ".svg" && ext != ".json" ||
		!strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		return false
	}
	v, ok := c.m.Load(name)
	if !ok {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return false
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		v, _ = c.m.LoadOrStore(name, buf.Bytes())
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", mime.TypeByExtension(ext))
	http.ServeContent(w, r, name, mod, bytes.NewReader(v.([]byte)))
	return true
}

package api

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

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

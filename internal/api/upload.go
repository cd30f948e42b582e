package api

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
)

// uploadEndpoint is a route whose body is a file or archive streamed to
// storage. The server's 60 s read timeout guards small requests against
// slow clients; an upload of gigabytes takes longer, so it lifts the
// deadline for its own connection, and bounds the size instead.
func uploadEndpoint[Out any](s *Server, method, path string, fn func(r *http.Request, body io.Reader) (Out, error)) *Route {
	var rt *Route
	rt = newRoute[Out](method, path, func(w http.ResponseWriter, r *http.Request) error {
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		body := http.MaxBytesReader(w, r.Body, s.data.MaxUpload())
		out, err := fn(r, body)
		if err != nil {
			return err
		}
		writeJSON(w, rt.Status, out)
		return nil
	})
	rt.Status = http.StatusCreated
	return rt
}

// baseURL is the scheme://host clients reached this server at, for signed
// URLs the server serves itself.
func (s *Server) baseURL(r *http.Request) string {
	if s.externalURL != "" {
		return s.externalURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" && s.fromProxy(r) {
		scheme = strings.ToLower(strings.TrimSpace(strings.Split(p, ",")[0]))
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && s.fromProxy(r) {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host
}

func (s *Server) fromProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && s.proxies.Contains(ap.Addr())
}

// signedStorage serves the signed URLs of directory storages: part uploads
// of the original's multipart protocol, and downloads with Range. The
// signature, not a token, authorises the request.
func (s *Server) signedStorage(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeError(w, r, s.log, &apperr.Error{Kind: apperr.KindUnavailable, Title: "the server is starting"})
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/signed/"), "/")
	srv, err := s.data.SignedServer(r.Context(), tenant)
	if err == nil {
		err = srv.ServeSigned(w, r)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			err = data.StorageError(err)
		}
		writeError(w, r, s.log, err)
	}
}

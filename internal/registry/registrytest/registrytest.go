// Package registrytest runs a real container registry for tests:
// go-containerregistry's in-process registry on a loopback server, behind
// HTTP basic auth, and pushes small random images to it.
package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is a running registry.
type Registry struct {
	Host     string // 127.0.0.1:port
	URL      string // http://127.0.0.1:port
	User     string
	Password string
}

// Serve starts a registry that wants user:password on every request.
func Serve(t testing.TB, user, password string) *Registry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), URL: srv.URL, User: user, Password: password}
}

// Push writes a small random image as each of refs ("team/app:v1").
func (r *Registry) Push(t testing.TB, refs ...string) {
	t.Helper()
	for _, ref := range refs {
		tag, err := name.NewTag(r.Host+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatalf("tag %s: %v", ref, err)
		}
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		auth := &authn.Basic{Username: r.User, Password: r.Password}
		if err := remote.Write(tag, img, remote.WithAuth(auth)); err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
	}
}

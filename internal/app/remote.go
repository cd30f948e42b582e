package app

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// remoteClient calls the git servers and container registries that
// administrators register. They often live on the internal network, so
// unlike the webhook client (internal/egress) no address is refused; the
// environment's proxy settings apply, and redirects are followed only to
// http(s), at most five. Each call also has its own context deadline.
func remoteClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("refusing a redirect to a %s URL", req.URL.Scheme)
		}
		return nil
	}}
}

package egress_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/egress"
)

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		allow string
		ip    string
		ok    bool
	}{
		"a public address":                              {ip: "203.0.113.7", ok: true},
		"a public IPv6 address":                         {ip: "2001:db8::1", ok: true},
		"loopback":                                      {ip: "127.0.0.1"},
		"loopback elsewhere in 127/8":                   {ip: "127.1.2.3"},
		"IPv6 loopback":                                 {ip: "::1"},
		"IPv4-mapped loopback":                          {ip: "::ffff:127.0.0.1"},
		"the cloud metadata service":                    {ip: "169.254.169.254"},
		"IPv6 link-local":                               {ip: "fe80::1"},
		"a private 10/8 address":                        {ip: "10.1.2.3"},
		"a private 172.16/12 address":                   {ip: "172.20.0.1"},
		"a private 192.168/16 address":                  {ip: "192.168.1.1"},
		"an IPv6 unique-local address":                  {ip: "fd00::1"},
		"shared address space (CGNAT)":                  {ip: "100.64.0.1"},
		"the unspecified address":                       {ip: "0.0.0.0"},
		"this-network 0/8":                              {ip: "0.1.2.3"},
		"broadcast":                                     {ip: "255.255.255.255"},
		"multicast":                                     {ip: "224.0.0.1"},
		"a private address that is allowed":             {allow: "10.20.0.0/16", ip: "10.20.3.4", ok: true},
		"a private address outside the allowed network": {allow: "10.20.0.0/16", ip: "10.21.0.1"},
		"a single allowed address":                      {allow: "192.168.1.5", ip: "192.168.1.5", ok: true},
		"its neighbour":                                 {allow: "192.168.1.5", ip: "192.168.1.6"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := egress.ParsePolicy(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(netip.MustParseAddr(tc.ip))
			if tc.ok && err != nil {
				t.Errorf("Check(%s) = %v, want allowed", tc.ip, err)
			}
			if !tc.ok && !errors.Is(err, egress.ErrRefused) {
				t.Errorf("Check(%s) = %v, want ErrRefused", tc.ip, err)
			}
		})
	}
}

func TestParsePolicyRefusesNonsense(t *testing.T) {
	for _, in := range []string{"10.0.0.0/33", "example.com", "10.0.0/8", "fe80::1%eth0", "::ffff:10.0.0.0/8"} {
		if _, err := egress.ParsePolicy(in); err == nil {
			t.Errorf("ParsePolicy(%q) accepted it", in)
		}
	}
}

// TestClient: the client refuses a loopback server unless loopback is
// allowed, and does not follow redirects even to an allowed host.
func TestClient(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	redirector := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirector.Close()

	get := func(p egress.Policy, url string) error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		resp, err := p.Client(5 * time.Second).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	deny, _ := egress.ParsePolicy("")
	if err := get(deny, target.URL); !errors.Is(err, egress.ErrRefused) {
		t.Errorf("loopback with the default policy: %v, want ErrRefused", err)
	}
	allow, _ := egress.ParsePolicy("127.0.0.0/8")
	if err := get(allow, target.URL); err != nil {
		t.Errorf("loopback when allowed: %v", err)
	}
	if err := get(allow, redirector.URL); !errors.Is(err, egress.ErrRedirect) {
		t.Errorf("redirect: %v, want ErrRedirect", err)
	}
	if hits.Load() != 1 {
		t.Errorf("target hit %d times, want 1 (the redirect must not reach it)", hits.Load())
	}
}

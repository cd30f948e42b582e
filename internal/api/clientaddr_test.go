package api

import (
	"net/http/httptest"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
)

func TestClientAddr(t *testing.T) {
	proxies, err := cidr.Parse("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		trusted cidr.List
		peer    string
		xff     []string
		want    string
	}{
		"no trusted proxies: the peer":                 {peer: "203.0.113.9:5000", xff: []string{"198.51.100.1"}, want: "203.0.113.9"},
		"an untrusted peer's header is ignored":        {trusted: proxies, peer: "203.0.113.9:5000", xff: []string{"198.51.100.1"}, want: "203.0.113.9"},
		"a trusted proxy names the client":             {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		"what the client wrote itself is skipped":      {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"1.1.1.1, 198.51.100.1"}, want: "198.51.100.1"},
		"a chain of trusted proxies":                   {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"198.51.100.1, 10.2.2.2"}, want: "198.51.100.1"},
		"several header lines":                         {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"1.1.1.1", "198.51.100.1"}, want: "198.51.100.1"},
		"a garbled header: the proxy itself":           {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"not-an-ip"}, want: "10.1.1.1"},
		"no header from a trusted proxy":               {trusted: proxies, peer: "10.1.1.1:5000", want: "10.1.1.1"},
		"an IPv6 client behind a trusted proxy":        {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"2001:db8::7"}, want: "2001:db8::7"},
		"an IPv4-mapped client behind a trusted proxy": {trusted: proxies, peer: "10.1.1.1:5000", xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &Server{proxies: tc.trusted}
			r := httptest.NewRequest("POST", "/api/v2/account/login", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got != tc.want {
				t.Errorf("clientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

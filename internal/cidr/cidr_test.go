package cidr_test

import (
	"net/netip"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
)

func TestParse(t *testing.T) {
	l, err := cidr.Parse("10.0.0.0/8, 192.168.1.5\n2001:db8::/32\t::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"10.9.8.7": true, "::ffff:10.9.8.7": true, "192.168.1.5": true, "192.168.1.6": false,
		"2001:db8::1": true, "2001:db9::1": false, "172.16.3.4": true, "172.32.0.1": false,
	} {
		if got := l.Contains(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", ip, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0/8", "fe80::1%eth0", "::ffff:10.0.0.0/8"} {
		if _, err := cidr.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
	if l, err := cidr.Parse(""); err != nil || len(l) != 0 {
		t.Errorf("Parse(\"\") = %v, %v; want an empty list", l, err)
	}
}

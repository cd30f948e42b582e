// Package egress builds the HTTP clients that call addresses users type in
// (Slack webhooks today; git and registry endpoints later). Such a client
// must not become a way into the server's own loopback, the cloud metadata
// service or internal networks, so every connection is checked after DNS
// resolution, where a hostile name can no longer hide the address.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
)

// ErrRefused is wrapped by every refused connection.
var ErrRefused = errors.New("address is not allowed")

// ErrRedirect is returned instead of following a redirect, which could
// otherwise point an allowed host at a refused one.
var ErrRedirect = errors.New("redirects are not followed")

// Policy decides which addresses may be called. Public unicast addresses
// always may; loopback, private, link-local, shared (CGNAT), multicast and
// unspecified ones only when inside an allowed network.
type Policy struct {
	allowed cidr.List
}

// ParsePolicy reads the allowed networks (see cidr.Parse), for example
// "10.20.0.0/16" to reach an on-premises Mattermost.
func ParsePolicy(list string) (Policy, error) {
	l, err := cidr.Parse(list)
	return Policy{allowed: l}, err
}

// refused lists special-purpose ranges (RFC 6890 and successors) that no
// public webhook lives in, beside those netip classifies itself.
// (The documentation ranges are left alone: nothing answers there.)
var refused = prefixes(
	"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4",
	"100::/64", "2001::/23", "fec0::/10", "64:ff9b:1::/48",
)

// embedding lists IPv6 ranges that carry an IPv4 address the packet ends up
// at (NAT64 and 6to4), with where it sits; that address is checked too.
var embedding = []struct {
	prefix netip.Prefix
	offset int
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12},
	{netip.MustParsePrefix("2002::/16"), 2},
}

func prefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// Check returns nil when ip may be called.
func (p Policy) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if p.allowed.Contains(ip) {
		return nil
	}
	internal := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
	for _, pr := range refused {
		internal = internal || pr.Contains(ip)
	}
	if internal {
		return fmt.Errorf("%w: %s is an internal address (the administrator can allow its network)", ErrRefused, ip)
	}
	for _, e := range embedding {
		if e.prefix.Contains(ip) {
			b := ip.As16()
			if err := p.Check(netip.AddrFrom4([4]byte(b[e.offset : e.offset+4]))); err != nil {
				return fmt.Errorf("%w (reached through %s)", err, ip)
			}
		}
	}
	return nil
}

// control runs after the name is resolved, before connecting.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	return p.Check(ap.Addr())
}

// Client returns an HTTP client that obeys the policy, ignores proxy
// settings (a proxy would make every target look like the proxy) and does
// not follow redirects.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return ErrRedirect
		},
	}
}

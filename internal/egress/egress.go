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
	"strings"
	"syscall"
	"time"
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
	allowed []netip.Prefix
}

// ParsePolicy reads a comma- or space-separated list of CIDRs (a bare
// address means just that address), for example "10.20.0.0/16" to reach an
// on-premises Mattermost.
func ParsePolicy(list string) (Policy, error) {
	var p Policy
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return Policy{}, fmt.Errorf("%q is neither a CIDR nor an address", f)
			}
			p.allowed = append(p.allowed, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(f)
		if err != nil {
			return Policy{}, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", f)
		}
		p.allowed = append(p.allowed, pr.Masked())
	}
	return p, nil
}

var shared = netip.MustParsePrefix("100.64.0.0/10")
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// Check returns nil when ip may be called.
func (p Policy) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, pr := range p.allowed {
		if pr.Contains(ip) {
			return nil
		}
	}
	internal := ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		shared.Contains(ip) || thisNetwork.Contains(ip) || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
	if internal || !ip.IsValid() {
		return fmt.Errorf("%w: %s is an internal address (the administrator can allow its network)", ErrRefused, ip)
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

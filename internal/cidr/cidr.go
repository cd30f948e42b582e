// Package cidr reads the lists of networks that settings take (networks a
// webhook may reach, proxies whose forwarded addresses are believed).
package cidr

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
)

// List is a set of networks.
type List []netip.Prefix

// Parse reads CIDRs separated by commas or white space; a bare address
// means just that address. IPv4-mapped IPv6 forms are read as IPv4.
func Parse(list string) (List, error) {
	var out List
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is neither a CIDR nor an address", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", f)
		}
		if a := pr.Addr(); a.Is4In6() { // ::ffff:10.0.0.0/104 means 10.0.0.0/8
			if pr.Bits() < 96 {
				return nil, fmt.Errorf("%q: an IPv4-mapped CIDR needs at least 96 bits", f)
			}
			pr = netip.PrefixFrom(a.Unmap(), pr.Bits()-96)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// Contains reports whether ip (unmapped first) is in one of the networks.
func (l List) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range l {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

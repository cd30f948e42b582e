// Package resolve turns the host names an administrator types into the
// addresses the deploy tool connects to: DNS first, then the hosts file, and
// never a loopback address (the other machines could not reach it) unless a
// test allows it explicitly.
package resolve

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
)

// Resolver finds a host's address.
type Resolver struct {
	// DNS looks a name up through the system resolver (net.DefaultResolver
	// when nil).
	DNS func(ctx context.Context, name string) ([]string, error)
	// HostsFile is read when DNS has no usable address (/etc/hosts when empty).
	HostsFile string
	// TestAllowLoopback accepts loopback addresses. Only the tests set it:
	// their hosts are sshd processes on 127.0.0.1.
	TestAllowLoopback bool
}

// NotFoundError says that a name has no address.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return e.Name + ": not found in DNS or /etc/hosts" }

// LoopbackError says that a name resolves only to loopback addresses.
type LoopbackError struct{ Name, Addr string }

func (e *LoopbackError) Error() string {
	return fmt.Sprintf("%s: resolves only to a loopback address (%s)", e.Name, e.Addr)
}

// Resolve returns the first usable address of name.
func (r Resolver) Resolve(ctx context.Context, name string) (string, error) {
	if ip := net.ParseIP(name); ip != nil {
		if ip.IsLoopback() && !r.TestAllowLoopback {
			return "", &LoopbackError{Name: name, Addr: name}
		}
		return name, nil
	}
	dns := r.DNS
	if dns == nil {
		dns = net.DefaultResolver.LookupHost
	}
	addrs, _ := dns(ctx, name) // not found: try the hosts file
	hosts, err := r.fromHostsFile(name)
	if err != nil {
		return "", err
	}
	addrs = append(addrs, hosts...)
	loopback := ""
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil {
			continue
		}
		if ip.IsLoopback() && !r.TestAllowLoopback {
			loopback = a
			continue
		}
		return a, nil
	}
	if loopback != "" {
		return "", &LoopbackError{Name: name, Addr: loopback}
	}
	return "", &NotFoundError{Name: name}
}

func (r Resolver) fromHostsFile(name string) ([]string, error) {
	path := r.HostsFile
	if path == "" {
		path = "/etc/hosts"
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, n := range fields[1:] {
			if strings.EqualFold(n, name) {
				out = append(out, fields[0])
			}
		}
	}
	return out, sc.Err()
}

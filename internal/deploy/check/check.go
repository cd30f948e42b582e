package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

// Minimum is a role's minimum machine (the install guide's table).
type Minimum struct {
	CPUs     int
	MemGB    int
	VarLibGB int
}

// Minimums is the install guide's table. Compute nodes need room for one
// job's data and storage hosts for all data: no fixed figure, so none here.
var Minimums = map[config.Role]Minimum{
	config.RoleMaster:      {CPUs: 2, MemGB: 2},
	config.RoleKamonohashi: {CPUs: 4, MemGB: 8, VarLibGB: 10},
	config.RoleStorage:     {CPUs: 1, MemGB: 2},
	config.RoleCompute:     {CPUs: 2, MemGB: 2},
}

// MaxClockSkew is the largest clock difference to the control host accepted.
const MaxClockSkew = 5 * time.Second

// Ports each role needs free (unless k3s or the NFS server already uses them).
var rolePorts = map[config.Role][]int{
	config.RoleMaster:  {6443, 10250},
	config.RoleStorage: {2049},
	config.RoleCompute: {10250},
}

// Severity tells a blocker from advice.
type Severity string

// Severities, as printed.
const (
	Fail Severity = "FAIL"
	Warn Severity = "WARN"
)

// Problem is one line of the report.
type Problem struct {
	Host     string
	Severity Severity
	Msg      string
}

func (p Problem) String() string { return fmt.Sprintf("%s %s: %s", p.Severity, p.Host, p.Msg) }

// need combines the minimums of a host's roles (several roles on one machine
// need the largest of each figure).
func need(h config.Host) Minimum {
	var m Minimum
	for _, r := range h.Roles {
		n := Minimums[r]
		m.CPUs, m.MemGB, m.VarLibGB = max(m.CPUs, n.CPUs), max(m.MemGB, n.MemGB), max(m.VarLibGB, n.VarLibGB)
	}
	return m
}

const kbPerGiB = 1024 * 1024

// Judge compares a host's facts with what its roles need. skew is the
// difference of its clock to the control host's.
func Judge(h config.Host, f Facts, skew time.Duration) []Problem {
	var ps []Problem
	add := func(s Severity, format string, args ...any) {
		ps = append(ps, Problem{Host: h.Name, Severity: s, Msg: fmt.Sprintf(format, args...)})
	}
	roles := roleNames(h)
	switch id, _, _ := strings.Cut(f.OS, " "); {
	case id == "":
		add(Fail, "no /etc/os-release: cannot tell the operating system")
	case !slices.Contains([]string{"ubuntu", "debian", "rhel", "rocky", "almalinux", "centos", "sles", "opensuse-leap"}, id):
		add(Warn, "operating system %q is not one k3s is tested on", f.OSName)
	}
	if f.Arch != "x86_64" && f.Arch != "aarch64" {
		add(Fail, "architecture %q: k3s needs x86_64 or aarch64", f.Arch)
	}
	m := need(h)
	if f.CPUs < m.CPUs {
		add(Fail, "%d CPU cores; %s needs at least %d", f.CPUs, roles, m.CPUs)
	}
	// MemTotal leaves out what the firmware and kernel keep: accept 90 %.
	if f.MemKB < int64(m.MemGB)*kbPerGiB*9/10 {
		add(Fail, "%.1f GiB memory; %s needs at least %d GB", float64(f.MemKB)/kbPerGiB, roles, m.MemGB)
	}
	if f.VarLibKB < int64(m.VarLibGB)*kbPerGiB {
		add(Fail, "%.1f GiB free under /var/lib; %s needs at least %d GB", float64(f.VarLibKB)/kbPerGiB, roles, m.VarLibGB)
	}
	if h.GPU {
		switch {
		case !f.HasNvidia:
			add(Fail, "GPU node without nvidia-smi: install the NVIDIA driver first (or set gpu: false in the inventory)")
		case f.GPU == "" || strings.Contains(strings.ToLower(f.GPU), "failed"):
			add(Fail, "nvidia-smi finds no GPU: %s", f.GPU)
		}
	}
	if skew < -MaxClockSkew || skew > MaxClockSkew {
		add(Fail, "clock differs from this host's by %s: enable time sync (NTP)", skew.Round(time.Second))
	}
	if len(f.Unresolved) > 0 {
		add(Warn, "cannot resolve %s: add them to DNS or /etc/hosts (the tool itself uses the inventory's addresses)", strings.Join(f.Unresolved, ", "))
	}
	for _, port := range ports(h) {
		if f.Listening[port] && !usedByUs(port, f) {
			add(Fail, "port %d is already in use", port)
		}
	}
	return ps
}

func ports(h config.Host) []int {
	var out []int
	for _, r := range h.Roles {
		for _, p := range rolePorts[r] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// usedByUs reports a port held by what a previous deploy installed.
func usedByUs(port int, f Facts) bool {
	if port == 2049 {
		return f.NFSServer
	}
	return f.K3s != ""
}

func roleNames(h config.Host) string {
	s := make([]string, len(h.Roles))
	for i, r := range h.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, "+")
}

// HostReport is the check of one host.
type HostReport struct {
	Host     config.Host
	Summary  string
	Problems []Problem
}

// Checker runs the preflight.
type Checker struct {
	Dialer *remote.Dialer
	Now    func() time.Time
}

// Run checks every host of inv at once and returns the reports in
// inventory order.
func (c *Checker) Run(ctx context.Context, inv config.Inventory) []HostReport {
	out := make([]HostReport, len(inv.Hosts))
	var wg sync.WaitGroup
	for i, h := range inv.Hosts {
		wg.Go(func() { out[i] = c.host(ctx, inv, h) })
	}
	wg.Wait()
	return out
}

func (c *Checker) host(ctx context.Context, inv config.Inventory, h config.Host) HostReport {
	r := HostReport{Host: h}
	fail := func(err error) HostReport {
		r.Problems = append(r.Problems, Problem{Host: h.Name, Severity: Fail, Msg: lineOf(err)})
		return r
	}
	cl, err := c.Dialer.Dial(ctx, Target(inv, h))
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	if res, err := cl.Sudo(ctx, "true", nil); err != nil {
		return fail(err)
	} else if !res.OK() {
		return fail(fmt.Errorf("sudo true failed: %s", strings.TrimSpace(res.Stderr)))
	}
	var others []string
	for _, o := range inv.Hosts {
		if o.Name != h.Name {
			others = append(others, o.Name)
		}
	}
	before := c.Now()
	res, err := cl.Run(ctx, FactsScript(others), nil)
	if err != nil {
		return fail(err)
	}
	after := c.Now()
	f, err := ParseFacts(res.Stdout)
	if err != nil {
		return fail(err)
	}
	mid := before.Add(after.Sub(before) / 2)
	skew := time.Unix(f.Epoch, 0).Sub(mid.Truncate(time.Second))
	r.Summary = fmt.Sprintf("%s, %s, %d CPU cores, %.1f GiB memory, %.1f GiB free under /var/lib",
		f.OSName, f.Arch, f.CPUs, float64(f.MemKB)/kbPerGiB, float64(f.VarLibKB)/kbPerGiB)
	if f.GPU != "" {
		r.Summary += ", GPU " + f.GPU
	}
	r.Problems = Judge(h, f, skew)
	return r
}

// lineOf is err's message for a report line: a HostError already names the
// host, so only what follows the name is kept.
func lineOf(err error) string {
	var he *remote.HostError
	if errors.As(err, &he) {
		s := fmt.Sprintf("%s (%s)", he.Kind, he.Addr)
		if he.Msg != "" {
			s += ": " + he.Msg
		}
		return s
	}
	return err.Error()
}

// Target is how to reach h.
func Target(inv config.Inventory, h config.Host) remote.Target {
	return remote.Target{Name: h.Name, Address: h.Address, Port: h.SSHPort(), User: inv.SSHUser}
}

// Print writes the reports and returns the number of blocking problems.
func Print(w io.Writer, reports []HostReport) int {
	fails, warns := 0, 0
	for _, r := range reports {
		if r.Summary != "" {
			fmt.Fprintf(w, "ok   %s [%s]: %s\n", r.Host.Name, roleNames(r.Host), r.Summary)
		}
		for _, p := range r.Problems {
			fmt.Fprintln(w, p)
			if p.Severity == Fail {
				fails++
			} else {
				warns++
			}
		}
	}
	fmt.Fprintf(w, "check: %d hosts, %d blocking problems, %d warnings\n", len(reports), fails, warns)
	return fails
}

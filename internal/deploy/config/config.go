// Package config holds the deploy tool's files: the inventory (which machine
// plays which role, and how to reach it), the settings (Kubernetes, storage,
// proxy and web-system choices) and the secrets. All three are YAML with
// comments that administrators may edit; they are read strictly (an unknown or
// misspelt field is refused with its line) and written atomically, the
// previous version kept beside them with a date suffix.
package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Role is what a machine does in the cluster (the install guide's four kinds).
type Role string

// The four roles of the install guide.
const (
	RoleMaster      Role = "master"      // Kubernetes control plane
	RoleKamonohashi Role = "kamonohashi" // the web system: server and its database
	RoleStorage     Role = "storage"     // the NFS export of data and results
	RoleCompute     Role = "compute"     // GPU or CPU servers that run the jobs
)

// Roles lists every role in the guide's order.
var Roles = []Role{RoleMaster, RoleKamonohashi, RoleStorage, RoleCompute}

// File names inside the configuration directory.
const (
	InventoryFile = "inventory.yaml"
	SettingsFile  = "settings.yaml"
	SecretsFile   = "secrets.yaml"
)

// Host is one machine of the inventory.
type Host struct {
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	Port    int    `yaml:"port,omitempty"`
	Roles   []Role `yaml:"roles"`
	// GPU marks a compute node whose jobs use NVIDIA GPUs: it must have the
	// driver (nvidia-smi) and gets the NVIDIA container runtime.
	GPU bool `yaml:"gpu,omitempty"`
}

// Has reports whether the host plays role r.
func (h Host) Has(r Role) bool { return slices.Contains(h.Roles, r) }

// SSHPort is the host's SSH port (22 unless set).
func (h Host) SSHPort() int {
	if h.Port == 0 {
		return 22
	}
	return h.Port
}

// Inventory lists the machines of the cluster.
type Inventory struct {
	SSHUser string `yaml:"sshUser"`
	Hosts   []Host `yaml:"hosts"`
}

// WithRole returns the hosts that play role r, in inventory order.
func (inv Inventory) WithRole(r Role) []Host {
	var out []Host
	for _, h := range inv.Hosts {
		if h.Has(r) {
			out = append(out, h)
		}
	}
	return out
}

// Host returns the host called name.
func (inv Inventory) Host(name string) (Host, bool) {
	for _, h := range inv.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Master is the Kubernetes master (Validate ensures there is exactly one).
func (inv Inventory) Master() Host { return first(inv.WithRole(RoleMaster)) }

// Kamonohashi is the host of the web system.
func (inv Inventory) Kamonohashi() Host { return first(inv.WithRole(RoleKamonohashi)) }

// Nodes are the Kubernetes agents: every host but the master.
func (inv Inventory) Nodes() []Host {
	var out []Host
	for _, h := range inv.Hosts {
		if !h.Has(RoleMaster) {
			out = append(out, h)
		}
	}
	return out
}

func first(hs []Host) Host {
	if len(hs) == 0 {
		return Host{}
	}
	return hs[0]
}

// Validate checks what the YAML decoder cannot: each field's meaning.
// Errors name the field as written in the file (hosts[2].roles).
func (inv Inventory) Validate() error {
	if strings.TrimSpace(inv.SSHUser) == "" {
		return fieldErr("sshUser", "is empty: name the SSH user that logs in to every host")
	}
	if len(inv.Hosts) == 0 {
		return fieldErr("hosts", "is empty")
	}
	seen := map[string]bool{}
	for i, h := range inv.Hosts {
		at := fmt.Sprintf("hosts[%d]", i)
		switch {
		case h.Name == "":
			return fieldErr(at+".name", "is empty")
		case seen[h.Name]:
			return fieldErr(at+".name", fmt.Sprintf("%q appears twice", h.Name))
		case h.Port < 0 || h.Port > 65535:
			return fieldErr(at+".port", fmt.Sprintf("%d is not a TCP port", h.Port))
		case len(h.Roles) == 0:
			return fieldErr(at+".roles", fmt.Sprintf("host %q has no role", h.Name))
		}
		seen[h.Name] = true
		for j, r := range h.Roles {
			if !slices.Contains(Roles, r) {
				return fieldErr(fmt.Sprintf("%s.roles[%d]", at, j), fmt.Sprintf("unknown role %q (one of %s)", r, roleList()))
			}
		}
		if h.GPU && !h.Has(RoleCompute) {
			return fieldErr(at+".gpu", fmt.Sprintf("host %q is not a compute node", h.Name))
		}
	}
	for _, r := range []Role{RoleMaster, RoleKamonohashi} {
		if n := len(inv.WithRole(r)); n != 1 {
			return fieldErr("hosts", fmt.Sprintf("need exactly one host with role %s, found %d", r, n))
		}
	}
	if len(inv.WithRole(RoleCompute)) == 0 {
		return fieldErr("hosts", "need at least one host with role compute")
	}
	return nil
}

func roleList() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// FieldError is a problem with one field of a file.
type FieldError struct {
	File  string // base name, set by the loader
	Line  int    // 0 when unknown
	Field string // dotted path as written in the file
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, " line %d", e.Line)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s %s", e.Field, e.Msg)
	return b.String()
}

func fieldErr(field, msg string) error { return &FieldError{Field: field, Msg: msg} }

// Paths locates the tool's files under its working directory.
type Paths struct {
	Dir string // KAMONOHASHI_DEPLOY_DIR
}

// Conf is the directory of the inventory, settings and secrets.
func (p Paths) Conf() string { return filepath.Join(p.Dir, "conf") }

// Inventory is the inventory file.
func (p Paths) Inventory() string { return filepath.Join(p.Conf(), InventoryFile) }

// Settings is the settings file.
func (p Paths) Settings() string { return filepath.Join(p.Conf(), SettingsFile) }

// Secrets is the secrets file (mode 0600).
func (p Paths) Secrets() string { return filepath.Join(p.Conf(), SecretsFile) }

// KnownHosts records the SSH host keys of the cluster's machines.
func (p Paths) KnownHosts() string { return filepath.Join(p.Dir, "ssh", "known_hosts") }

// SSHKey is the tool's own private key (created by prepare).
func (p Paths) SSHKey() string { return filepath.Join(p.Dir, "ssh", "id_ed25519") }

// Bundle holds the k3s air-gap bundle when there is one.
func (p Paths) Bundle() string { return filepath.Join(p.Dir, "bundle") }

package config

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Settings are the choices of a deployment beyond the inventory.
type Settings struct {
	Kubernetes  Kubernetes  `yaml:"kubernetes"`
	Storage     Storage     `yaml:"storage"`
	Kamonohashi Kamonohashi `yaml:"kamonohashi"`
	Proxy       Proxy       `yaml:"proxy"`
}

// Kubernetes is how the cluster is installed (k3s).
type Kubernetes struct {
	K3sVersion  string `yaml:"k3sVersion"`
	ReleaseURL  string `yaml:"releaseURL"`
	ClusterCIDR string `yaml:"clusterCIDR"`
	ServiceCIDR string `yaml:"serviceCIDR"`
}

// Storage is where data and results live: the NFS export of the storage
// host, or an external NFS server.
type Storage struct {
	NFSServer string `yaml:"nfsServer"`
	NFSPath   string `yaml:"nfsPath"`
	External  bool   `yaml:"external"`
}

// Kamonohashi is the web system.
type Kamonohashi struct {
	Namespace string `yaml:"namespace"`
	HTTPPort  int    `yaml:"httpPort"`
}

// Proxy is carried to every host (k3s, apt) and to the web system.
type Proxy struct {
	HTTPProxy  string   `yaml:"httpProxy"`
	HTTPSProxy string   `yaml:"httpsProxy"`
	NoProxy    []string `yaml:"noProxy"`
}

// Enabled reports whether a proxy is configured.
func (p Proxy) Enabled() bool { return p.HTTPProxy != "" || p.HTTPSProxy != "" }

// Defaults used by configure.
const (
	DefaultK3sVersion  = "v1.31.4+k3s1"
	DefaultReleaseURL  = "https://github.com/k3s-io/k3s/releases/download"
	DefaultClusterCIDR = "10.42.0.0/16"
	DefaultServiceCIDR = "10.43.0.0/16"
	DefaultNFSPath     = "/var/lib/kamonohashi/nfs"
	DefaultNamespace   = "kqi-system"
	DefaultHTTPPort    = 80
)

// DefaultSettings are the settings of a fresh configure for inv: storage on
// the inventory's storage host, proxy from the environment given.
func DefaultSettings(inv Inventory, env func(string) string) Settings {
	s := Settings{
		Kubernetes: Kubernetes{
			K3sVersion: DefaultK3sVersion, ReleaseURL: DefaultReleaseURL,
			ClusterCIDR: DefaultClusterCIDR, ServiceCIDR: DefaultServiceCIDR,
		},
		Storage:     Storage{NFSPath: DefaultNFSPath},
		Kamonohashi: Kamonohashi{Namespace: DefaultNamespace, HTTPPort: DefaultHTTPPort},
		Proxy: Proxy{
			HTTPProxy:  firstEnv(env, "http_proxy", "HTTP_PROXY"),
			HTTPSProxy: firstEnv(env, "https_proxy", "HTTPS_PROXY"),
		},
	}
	if st := inv.WithRole(RoleStorage); len(st) > 0 {
		s.Storage.NFSServer = st[0].Name
	}
	s.Proxy.NoProxy = CompleteNoProxy(splitList(firstEnv(env, "no_proxy", "NO_PROXY")), inv, s)
	return s
}

func firstEnv(env func(string) string, keys ...string) string {
	for _, k := range keys {
		if v := env(k); v != "" {
			return v
		}
	}
	return ""
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// CompleteNoProxy returns existing followed by what every cluster needs to
// reach directly: local names, the cluster's own networks and every host by
// name and address; each entry once, in first-seen order.
func CompleteNoProxy(existing []string, inv Inventory, s Settings) []string {
	all := slices.Clone(existing)
	all = append(all, "localhost", "127.0.0.1", ".cluster.local", ".svc", s.Kubernetes.ClusterCIDR, s.Kubernetes.ServiceCIDR)
	for _, h := range inv.Hosts {
		all = append(all, h.Name, h.Address)
	}
	if s.Storage.External {
		all = append(all, s.Storage.NFSServer)
	}
	var out []string
	for _, e := range all {
		if e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// Validate checks the settings against the inventory; errors name the field.
func (s Settings) Validate(inv Inventory) error {
	k := s.Kubernetes
	switch {
	case !strings.HasPrefix(k.K3sVersion, "v"):
		return fieldErr("kubernetes.k3sVersion", fmt.Sprintf("%q is not a k3s release such as %s", k.K3sVersion, DefaultK3sVersion))
	case !isURL(k.ReleaseURL):
		return fieldErr("kubernetes.releaseURL", fmt.Sprintf("%q is not an http(s) URL", k.ReleaseURL))
	case k.ClusterCIDR == "":
		return fieldErr("kubernetes.clusterCIDR", "is empty")
	case k.ServiceCIDR == "":
		return fieldErr("kubernetes.serviceCIDR", "is empty")
	}
	st := s.Storage
	switch {
	case st.NFSServer == "":
		return fieldErr("storage.nfsServer", "is empty: name the storage host or an external NFS server")
	case !path.IsAbs(st.NFSPath):
		return fieldErr("storage.nfsPath", fmt.Sprintf("%q is not an absolute path", st.NFSPath))
	case !st.External:
		h, ok := inv.Host(st.NFSServer)
		if !ok || !h.Has(RoleStorage) {
			return fieldErr("storage.nfsServer", fmt.Sprintf("%q is not a storage host of the inventory (set storage.external: true for an external NFS server)", st.NFSServer))
		}
	}
	if s.Kamonohashi.Namespace == "" {
		return fieldErr("kamonohashi.namespace", "is empty")
	}
	if p := s.Kamonohashi.HTTPPort; p <= 0 || p > 65535 {
		return fieldErr("kamonohashi.httpPort", fmt.Sprintf("%d is not a TCP port", p))
	}
	for name, v := range map[string]string{"proxy.httpProxy": s.Proxy.HTTPProxy, "proxy.httpsProxy": s.Proxy.HTTPSProxy} {
		if v != "" && !isURL(v) {
			return fieldErr(name, fmt.Sprintf("%q is not an http(s) URL", v))
		}
	}
	return nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Secrets are generated by the tool (credentials) and applied by the chart.
type Secrets struct {
	DBPassword       string `yaml:"dbPassword"`
	StorageSecretKey string `yaml:"storageSecretKey"`
	// ServerKey encrypts the credentials the server stores (base64, 32
	// bytes); made once by deploy app and never rotated.
	ServerKey string `yaml:"serverKey"`
}

package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

// Target is what a deploy, clean or update covers.
type Target string

// The targets of deploy and clean.
const (
	All   Target = "all"
	Infra Target = "infra"
	App   Target = "app"
)

// Bundle is the k3s air-gap bundle on the control host, when there is one.
type Bundle struct {
	Binary string // k3s
	Images string // k3s-airgap-images-amd64.tar.zst (optional)
}

// Air-gap bundle file names inside the bundle directory.
const (
	BundleBinary = "k3s"
	BundleImages = "k3s-airgap-images-amd64.tar.zst"
)

// FindBundle looks for the bundle in dir; a zero Bundle means download.
func FindBundle(dir string) Bundle {
	var b Bundle
	if fi, err := os.Stat(filepath.Join(dir, BundleBinary)); err == nil && fi.Mode().IsRegular() {
		b.Binary = filepath.Join(dir, BundleBinary)
	}
	if fi, err := os.Stat(filepath.Join(dir, BundleImages)); err == nil && fi.Mode().IsRegular() {
		b.Images = filepath.Join(dir, BundleImages)
	}
	return b
}

// Planner builds the steps for one configuration.
type Planner struct {
	Inv      config.Inventory
	Settings config.Settings
	Bundle   Bundle
}

// Deploy is the plan of deploy all|infra|app.
func (p Planner) Deploy(t Target) []Step {
	var steps []Step
	if t == All || t == Infra {
		steps = append(steps, p.nfs()...)
		steps = append(steps, p.k3sServer()...)
		steps = append(steps, p.joinNodes(p.Inv.Nodes())...)
	}
	if t == All || t == App {
		steps = append(steps, p.app()...)
	}
	return steps
}

// NodeConf is the plan of update node-conf: join the inventory's nodes that
// the cluster does not have yet (joined lists the cluster's node names);
// nodes already joined and their jobs are not touched.
func (p Planner) NodeConf(joined []string) (steps []Step, joining []config.Host) {
	for _, h := range p.Inv.Nodes() {
		if !slices.Contains(joined, h.Name) {
			joining = append(joining, h)
		}
	}
	if len(joining) == 0 {
		return nil, nil
	}
	for _, h := range joining {
		steps = append(steps, p.nfsClient(h))
	}
	return append(steps, p.joinNodes(joining)...), joining
}

// Clean is the hosts' part of clean infra|all (the web system is removed
// from the cluster, not the hosts). Data under the NFS path and the web
// system's database files are kept.
func (p Planner) Clean(t Target) []Step {
	var steps []Step
	if t == All || t == Infra {
		for _, h := range p.Inv.Nodes() {
			steps = append(steps, p.removeK3s(h, "k3s-agent"))
		}
		steps = append(steps, p.removeK3s(p.Inv.Master(), "k3s"))
	}
	return steps
}

// JoinedNodesCommand lists the cluster's node names, one a line (run on the master).
const JoinedNodesCommand = `command -v k3s >/dev/null 2>&1 || exit 3
k3s kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'`

// PostgresDir holds PostgreSQL's files on the kamonohashi host (the
// chart's hostPath).
const PostgresDir = "/var/lib/kamonohashi/postgresql"

// app is the hosts' part of deploy app: PostgreSQL's directory on the
// kamonohashi host, owner-only. The chart is applied to the cluster after.
func (p Planner) app() []Step {
	return []Step{
		{Host: p.Inv.Kamonohashi().Name, Name: "PostgreSQL directory " + PostgresDir,
			Check: fmt.Sprintf("test -d %s && test \"$(stat -c %%a %s)\" = 700", PostgresDir, PostgresDir),
			Act:   fmt.Sprintf("mkdir -p %s && chmod 0700 %s", PostgresDir, PostgresDir)},
	}
}

// nfs exports the NFS path from the storage host to the cluster's hosts
// (unless an external NFS server is used) and installs the NFS client
// everywhere.
func (p Planner) nfs() []Step {
	var steps []Step
	st := p.Settings.Storage
	if !st.External {
		var clients []string
		for _, h := range p.Inv.Hosts {
			clients = append(clients, h.Address+"(rw,sync,no_subtree_check,no_root_squash)")
		}
		line := st.NFSPath + " " + strings.Join(clients, " ")
		steps = append(steps, Step{
			Host: st.NFSServer, Name: "NFS export " + st.NFSPath,
			Check: fmt.Sprintf("command -v exportfs >/dev/null && grep -qxF %s /etc/exports && exportfs -s | grep -q '^%s '",
				remote.Quote(line), st.NFSPath),
			Act: p.proxyEnv() + install("nfs-kernel-server", "nfs-utils", "exportfs") + fmt.Sprintf(`
mkdir -p %[1]s && chmod 0755 %[1]s
touch /etc/exports
grep -v '^%[1]s ' /etc/exports > /etc/exports.kqi-new || true
echo %[2]s >> /etc/exports.kqi-new && mv /etc/exports.kqi-new /etc/exports
systemctl enable --now nfs-server 2>/dev/null || systemctl enable --now nfs-kernel-server
exportfs -ra`, st.NFSPath, remote.Quote(line)),
		})
	}
	for _, h := range p.Inv.Hosts {
		steps = append(steps, p.nfsClient(h))
	}
	return steps
}

func (p Planner) nfsClient(h config.Host) Step {
	return Step{Host: h.Name, Name: "NFS client", Check: "command -v mount.nfs >/dev/null",
		Act: p.proxyEnv() + install("nfs-common", "nfs-utils", "mount.nfs")}
}

// install is a shell snippet installing a package with apt or dnf unless
// command is present.
func install(apt, dnf, command string) string {
	return fmt.Sprintf(`set -e
if ! command -v %[3]s >/dev/null 2>&1; then
  if command -v apt-get >/dev/null; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq %[1]s
  else dnf install -y %[2]s; fi
fi`, apt, dnf, command)
}

func (p Planner) proxyEnv() string {
	px := p.Settings.Proxy
	if !px.Enabled() {
		return ""
	}
	np := strings.Join(px.NoProxy, ",")
	return fmt.Sprintf("export http_proxy=%[1]s HTTP_PROXY=%[1]s https_proxy=%[2]s HTTPS_PROXY=%[2]s no_proxy=%[3]s NO_PROXY=%[3]s\n",
		remote.Quote(px.HTTPProxy), remote.Quote(px.HTTPSProxy), remote.Quote(np))
}

// k3s layout on every host.
const (
	k3sBin     = "/usr/local/bin/k3s"
	k3sConfig  = "/etc/rancher/k3s/config.yaml"
	k3sToken   = "/etc/rancher/k3s/kamonohashi-token"
	k3sImages  = "/var/lib/rancher/k3s/agent/images/" + BundleImages
	nodeToken  = "/var/lib/rancher/k3s/server/node-token"
	labelRole  = "kamonohashi.ai/role"
	labelGPU   = "kamonohashi.ai/gpu"
	unitDir    = "/etc/systemd/system"
	deviceName = "nvidia-device-plugin-daemonset"
)

func (p Planner) k3sServer() []Step {
	m := p.Inv.Master()
	k := p.Settings.Kubernetes
	cfg := fmt.Sprintf(`# Written by deploy-kamonohashi.
node-ip: %s
tls-san: [%s, %s]
cluster-cidr: %s
service-cidr: %s
write-kubeconfig-mode: "0600"
node-label: [%s]
`, m.Address, m.Name, m.Address, k.ClusterCIDR, k.ServiceCIDR, labels(m))
	steps := p.k3sFiles(m, "k3s", "server", cfg)
	return append(steps, Step{Host: m.Name, Name: "read the join token", ReadOnly: true,
		Check: "", Act: "cat " + nodeToken, Output: "token"})
}

// joinNodes makes hosts k3s agents of the master, GPU nodes with the NVIDIA
// runtime, and waits on the master until each is Ready.
func (p Planner) joinNodes(hosts []config.Host) []Step {
	m := p.Inv.Master()
	var steps []Step
	gpu := false
	for _, h := range hosts {
		steps = append(steps, Step{Host: h.Name, Name: "k3s join token", Input: "token",
			Check: "cmp -s - " + k3sToken,
			Act:   fmt.Sprintf("mkdir -p %s && umask 077 && cat > %s.new && mv %s.new %s", filepath.Dir(k3sToken), k3sToken, k3sToken, k3sToken)})
		if h.GPU {
			gpu = true
			steps = append(steps, Step{Host: h.Name, Name: "NVIDIA container toolkit",
				Check: "command -v nvidia-container-runtime >/dev/null",
				Act: p.proxyEnv() + `set -e
command -v nvidia-smi >/dev/null || { echo 'install the NVIDIA driver first' >&2; exit 1; }
if command -v apt-get >/dev/null; then
  curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit.gpg
  curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list | sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit.gpg] https://#' > /etc/apt/sources.list.d/nvidia-container-toolkit.list
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nvidia-container-toolkit
else
  curl -fsSL https://nvidia.github.io/libnvidia-container/stable/rpm/nvidia-container-toolkit.repo > /etc/yum.repos.d/nvidia-container-toolkit.repo
  dnf install -y nvidia-container-toolkit
fi`})
		}
		cfg := fmt.Sprintf(`# Written by deploy-kamonohashi.
server: https://%s:6443
token-file: %s
node-ip: %s
node-label: [%s]
`, m.Address, k3sToken, h.Address, labels(h))
		steps = append(steps, p.k3sFiles(h, "k3s-agent", "agent", cfg)...)
	}
	if gpu {
		steps = append(steps, Step{Host: m.Name, Name: "NVIDIA device plugin",
			Check:   "k3s kubectl -n kube-system get daemonset " + deviceName + " >/dev/null 2>&1",
			Content: devicePlugin,
			Act:     "k3s kubectl apply -f -"})
	}
	for _, h := range hosts {
		steps = append(steps, Step{Host: m.Name, Name: "node " + h.Name + " Ready",
			Check: nodeReady(h.Name),
			Act:   fmt.Sprintf("for i in $(seq 1 180); do %s && exit 0; sleep 1; done; echo 'node %s did not become Ready in 3 minutes' >&2; exit 1", nodeReady(h.Name), h.Name)})
	}
	return steps
}

func nodeReady(name string) string {
	return fmt.Sprintf(`k3s kubectl get node %s -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True`, name)
}

func labels(h config.Host) string {
	var l []string
	for _, r := range h.Roles {
		l = append(l, fmt.Sprintf("%s-%s=true", labelRole, r))
	}
	if h.GPU {
		l = append(l, labelGPU+"=true")
	}
	return strings.Join(l, ", ")
}

// k3sFiles puts the k3s binary, images, config and unit on h and starts the
// service (restarted when its config is newer than its start).
func (p Planner) k3sFiles(h config.Host, unit, mode, cfg string) []Step {
	k := p.Settings.Kubernetes
	var steps []Step
	bin := Step{Host: h.Name, Name: "k3s " + k.K3sVersion,
		Check: fmt.Sprintf("%s --version 2>/dev/null | grep -qF %s", k3sBin, remote.Quote("k3s version "+k.K3sVersion))}
	if p.Bundle.Binary != "" {
		bin.Name += " (air-gap bundle)"
		bin.Upload = p.Bundle.Binary
		bin.Act = fmt.Sprintf("cat > %[1]s.new && chmod 0755 %[1]s.new && mv %[1]s.new %[1]s", k3sBin)
	} else {
		url := fmt.Sprintf("%s/%s/k3s", strings.TrimRight(k.ReleaseURL, "/"), strings.ReplaceAll(k.K3sVersion, "+", "%2B"))
		bin.Name += " (download)"
		bin.Act = p.proxyEnv() + fmt.Sprintf("curl -fsSL -o %[1]s.new %[2]s && chmod 0755 %[1]s.new && mv %[1]s.new %[1]s", k3sBin, remote.Quote(url))
	}
	steps = append(steps, bin)
	if p.Bundle.Images != "" {
		fi, err := os.Stat(p.Bundle.Images)
		if err == nil {
			steps = append(steps, Step{Host: h.Name, Name: "k3s air-gap images", Upload: p.Bundle.Images,
				Check: fmt.Sprintf("test \"$(stat -c %%s %s 2>/dev/null)\" = %d", k3sImages, fi.Size()),
				Act:   fmt.Sprintf("mkdir -p %s && cat > %s.new && mv %s.new %s", filepath.Dir(k3sImages), k3sImages, k3sImages, k3sImages)})
		}
	}
	steps = append(steps, fileStep(h.Name, "k3s config", k3sConfig, cfg, "0600"))
	env := ""
	if px := p.Settings.Proxy; px.Enabled() {
		env = fmt.Sprintf("HTTP_PROXY=%s\nHTTPS_PROXY=%s\nNO_PROXY=%s\n", px.HTTPProxy, px.HTTPSProxy, strings.Join(px.NoProxy, ","))
	}
	steps = append(steps, fileStep(h.Name, unit+" environment (proxy)", unitDir+"/"+unit+".service.env", env, "0600"))
	steps = append(steps, fileStep(h.Name, unit+" service unit", unitDir+"/"+unit+".service", unitFile(unit, mode), "0644"))
	started := fmt.Sprintf(`systemctl is-active --quiet %[1]s &&
t=$(date -d "$(systemctl show -p ActiveEnterTimestamp --value %[1]s)" +%%s) &&
for f in %[2]s %[3]s/%[1]s.service %[3]s/%[1]s.service.env %[4]s; do test ! -e $f || test $(stat -c %%Y $f) -le $t || exit 1; done`,
		unit, k3sConfig, unitDir, k3sBin)
	steps = append(steps, Step{Host: h.Name, Name: unit + " running with this configuration", Check: started,
		Act: fmt.Sprintf("systemctl daemon-reload && systemctl enable %[1]s && systemctl restart %[1]s", unit)})
	return steps
}

// fileStep makes path hold content (compared byte for byte).
func fileStep(host, name, path, content, mode string) Step {
	return Step{Host: host, Name: name + " (" + path + ")", Content: content,
		Check: "cmp -s - " + path,
		Act:   fmt.Sprintf("mkdir -p %s && cat > %s.new && chmod %s %s.new && mv %s.new %s", filepath.Dir(path), path, mode, path, path, path)}
}

func unitFile(unit, mode string) string {
	after := "network-online.target"
	return fmt.Sprintf(`# Written by deploy-kamonohashi.
[Unit]
Description=k3s %[2]s for KAMONOHASHI
Wants=%[3]s
After=%[3]s

[Service]
Type=notify
EnvironmentFile=-%[4]s/%[1]s.service.env
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=%[5]s %[2]s
# Running jobs keep running while k3s restarts or updates.
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
`, unit, mode, after, unitDir, k3sBin)
}

// removeK3s stops and removes k3s from h; job data on NFS is kept.
func (p Planner) removeK3s(h config.Host, unit string) Step {
	return Step{Host: h.Name, Name: "remove " + unit,
		Check: fmt.Sprintf("! test -e %s && ! test -e %s/%s.service && ! test -e /var/lib/rancher/k3s", k3sBin, unitDir, unit),
		Act: fmt.Sprintf(`systemctl disable --now %[1]s 2>/dev/null || true
systemctl kill --signal=KILL %[1]s 2>/dev/null || true
awk '$2 ~ "^(/run/k3s|/var/lib/kubelet|/var/lib/rancher/k3s)" {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
ip link delete cni0 2>/dev/null || true
ip link delete flannel.1 2>/dev/null || true
rm -rf /etc/rancher/k3s /var/lib/rancher/k3s /var/lib/kubelet /run/k3s %[2]s/%[1]s.service %[2]s/%[1]s.service.env %[3]s
systemctl daemon-reload`, unit, unitDir, k3sBin)}
}

// devicePlugin makes the GPUs of GPU nodes schedulable (NVIDIA's device
// plugin, through the runtime class k3s registers when it finds the NVIDIA
// container runtime).
const devicePlugin = `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: nvidia
handler: nvidia
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ` + deviceName + `
  namespace: kube-system
spec:
  selector:
    matchLabels: {name: nvidia-device-plugin}
  updateStrategy: {type: RollingUpdate}
  template:
    metadata:
      labels: {name: nvidia-device-plugin}
    spec:
      runtimeClassName: nvidia
      nodeSelector: {` + labelGPU + `: "true"}
      priorityClassName: system-node-critical
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      containers:
        - name: nvidia-device-plugin
          image: nvcr.io/nvidia/k8s-device-plugin:v0.17.0
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: device-plugin, mountPath: /var/lib/kubelet/device-plugins}
      volumes:
        - name: device-plugin
          hostPath: {path: /var/lib/kubelet/device-plugins}
`

// Package check is the preflight of every host: can the tool log in and
// become root, and does the machine meet the install guide's minimum for its
// roles (OS, CPU, memory, free space under /var/lib, NVIDIA driver on GPU
// nodes, clock, name resolution, free ports). It gathers each host's facts
// with one remote command and judges them here, one line per problem.
package check

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

// Facts are what a host says about itself.
type Facts struct {
	OS         string // ID VERSION_ID of /etc/os-release
	OSName     string // PRETTY_NAME
	Arch       string
	CPUs       int
	MemKB      int64
	VarLibKB   int64 // free under /var/lib
	GPU        string
	HasNvidia  bool
	Epoch      int64
	Unresolved []string // names of the other hosts this one cannot resolve
	Listening  map[int]bool
	K3s        string // k3s --version when installed
	NFSServer  bool   // exportfs present
}

// FactsScript prints the facts as key=value lines; names are the other
// hosts whose resolution is checked.
func FactsScript(names []string) string {
	var b strings.Builder
	b.WriteString(`. /etc/os-release 2>/dev/null
echo "os=$ID $VERSION_ID"
echo "os_name=$PRETTY_NAME"
echo "arch=$(uname -m)"
echo "cpus=$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"
echo "mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
echo "varlib_kb=$(df -Pk /var/lib | awk 'NR==2{print $4}')"
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "nvidia=1"
  echo "gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -n 1)"
fi
echo "k3s=$(k3s --version 2>/dev/null | head -n 1)"
command -v exportfs >/dev/null 2>&1 && echo "nfsd=1"
echo "listen=$(awk 'NR>1 && $4=="0A" {n=split($2,a,":"); print a[n]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u | tr '\n' ' ')"
`)
	for _, n := range names {
		q := remote.Quote(n)
		fmt.Fprintf(&b, "getent hosts %s >/dev/null 2>&1 || echo unresolved=%s\n", q, q)
	}
	b.WriteString("echo \"epoch=$(date +%s)\"\n")
	return b.String()
}

// ParseFacts reads FactsScript's output.
func ParseFacts(out string) (Facts, error) {
	f := Facts{Listening: map[int]bool{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "os":
			f.OS = v
		case "os_name":
			f.OSName = v
		case "arch":
			f.Arch = v
		case "cpus":
			f.CPUs, err = strconv.Atoi(v)
		case "mem_kb":
			f.MemKB, err = strconv.ParseInt(v, 10, 64)
		case "varlib_kb":
			f.VarLibKB, err = strconv.ParseInt(v, 10, 64)
		case "nvidia":
			f.HasNvidia = true
		case "gpu":
			f.GPU = v
		case "k3s":
			f.K3s = v
		case "nfsd":
			f.NFSServer = true
		case "epoch":
			f.Epoch, err = strconv.ParseInt(v, 10, 64)
		case "unresolved":
			f.Unresolved = append(f.Unresolved, v)
		case "listen":
			for _, h := range strings.Fields(v) {
				p, perr := strconv.ParseInt(h, 16, 32)
				if perr == nil {
					f.Listening[int(p)] = true
				}
			}
		}
		if err != nil {
			return f, fmt.Errorf("read %s from %q: %w", k, v, err)
		}
	}
	return f, sc.Err()
}

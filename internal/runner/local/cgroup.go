package local

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

const cgroupRoot = "/sys/fs/cgroup"

// detectCgroup finds where job cgroups can be made: parent when given (a
// cgroup v2 directory delegated to us, e.g. a systemd unit's with
// Delegate=yes), else our own cgroup. It needs cgroup v2 with the memory
// controller enabled for children and a writable directory. It returns the
// parent, or "" and why limits cannot be enforced.
func detectCgroup(parent string) (string, string) {
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		return "", cgroupRoot + " is not a cgroup v2 hierarchy"
	}
	if parent == "" {
		own, err := ownCgroup()
		if err != nil {
			return "", err.Error()
		}
		parent = filepath.Join(cgroupRoot, own)
	}
	ctl, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	if err != nil {
		return "", fmt.Sprintf("cannot read %s: %v", parent, err)
	}
	if !strings.Contains(" "+string(ctl)+" ", " memory ") {
		if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory +cpu"), 0); err != nil {
			return "", fmt.Sprintf("the memory controller is not enabled for children of %s (%v); "+
				"run the server in a delegated cgroup", parent, err)
		}
	}
	if err := unix.Access(parent, unix.W_OK); err != nil {
		return "", fmt.Sprintf("%s is not writable: %v", parent, err)
	}
	return parent, ""
}

// ownCgroup is this process's cgroup v2 path ("0::/path").
func ownCgroup() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("no cgroup v2 entry in /proc/self/cgroup")
}

// jobCgroup is the cgroup the user's command runs in.
type jobCgroup struct {
	dir string
	fd  int
}

// newJobCgroup makes parent/<name> with the job's limits.
func newJobCgroup(parent, name string, r runner.Resources) (*jobCgroup, error) {
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, err
	}
	if r.MemoryGB > 0 {
		if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.FormatInt(int64(r.MemoryGB)<<30, 10)), 0); err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("set memory.max: %w", err)
		}
		_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0) // absent without swap accounting
	}
	if r.CPU > 0 {
		_ = os.WriteFile(filepath.Join(dir, "cpu.max"), fmt.Appendf(nil, "%d 100000", r.CPU*100000), 0)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &jobCgroup{dir: dir, fd: fd}, nil
}

// oomKills is the count of processes the memory limit killed.
func (c *jobCgroup) oomKills() int64 {
	return counter(filepath.Join(c.dir, "memory.events"), "oom_kill")
}

// kill ends every process in the cgroup at once (Linux 5.14+).
func (c *jobCgroup) kill() bool {
	return os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0) == nil
}

// remove deletes the cgroup once it is empty.
func (c *jobCgroup) remove() error {
	unix.Close(c.fd)
	return os.Remove(c.dir)
}

// ownOOMKills counts OOM kills in the cgroup we run in (v2, or v1's memory
// controller), for a job whose memory is not limited by a cgroup of its
// own; ok is false where no counter can be read.
func ownOOMKills() (int64, bool) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			if n := counter(filepath.Join(cgroupRoot, f[2], "memory.events"), "oom_kill"); n >= 0 {
				return n, true
			}
		case strings.Contains(","+f[1]+",", ",memory,"):
			if n := counter(filepath.Join(cgroupRoot, "memory", f[2], "memory.oom_control"), "oom_kill"); n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}

// counter reads "name N" from a flat keyed cgroup file; -1 if absent.
func counter(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

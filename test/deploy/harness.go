// Package deploy tests deploy-kamonohashi end to end: the real binary,
// driven through a pseudo-terminal or flags, against SSH hosts that are real
// sshd processes on loopback ports (scripts/test-sshd.sh).
package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
)

// The test hosts: host1 … host4 on 127.0.0.1:58221…; host4 has a fake nvidia-smi.
const (
	NumHosts     = 4
	GPUHost      = "host4"
	SSHUser      = "kqideploy"
	SSHPassword  = "kqi-test-pass"
	BasePort     = 58221
	ClosedPort   = 58229
	AdminOK      = "kqi-admin-pass"
	sshdScript   = "scripts/test-sshd.sh"
	readyTimeout = 3 * time.Minute // the first run installs openssh-server
)

// Host is host i's name:port as typed in answers.
func Host(i int) string { return fmt.Sprintf("host%d:%d", i, BasePort+i-1) }

// Hosts runs the sshd hosts until Stop.
type Hosts struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// StartHosts starts the test hosts; it installs openssh-server when missing.
func StartHosts(root string) (*Hosts, error) {
	cmd := exec.Command(filepath.Join(root, sshdScript), "run", fmt.Sprint(NumHosts), GPUHost)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &Hosts{cmd: cmd, stdin: stdin}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- nil
				io.Copy(io.Discard, out)
				return
			}
		}
		ready <- fmt.Errorf("%s ended before its hosts were ready", sshdScript)
	}()
	select {
	case err = <-ready:
	case <-time.After(readyTimeout):
		err = fmt.Errorf("%s: hosts not ready after %s", sshdScript, readyTimeout)
	}
	if err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

// Stop ends the hosts (closing the script's stdin makes it stop them).
func (h *Hosts) Stop() {
	h.stdin.Close()
	_ = h.cmd.Wait()
}

// BuildTool builds deploy-kamonohashi into dir.
func BuildTool(root, dir string) (string, error) {
	bin := filepath.Join(dir, "deploy-kamonohashi")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/deploy-kamonohashi")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// RepoRoot is the repository root (two levels above this package).
func RepoRoot() (string, error) { return filepath.Abs("../..") }

// Tool runs the binary with a fresh working directory per test.
type Tool struct {
	Bin   string
	hosts string // the hosts file the tool resolves names with
	Dir   string // KAMONOHASHI_DEPLOY_DIR
	Log   string // KAMONOHASHI_DEPLOY_LOG_DIR
	Env   []string
}

// NewTool gives a test its own working and log directories, a hosts file
// naming the test hosts, and the test-only loopback permission.
func NewTool(t *testing.T, bin, lang string) *Tool {
	t.Helper()
	tmp := t.TempDir()
	hosts := filepath.Join(tmp, "hosts")
	var b strings.Builder
	for i := 1; i <= NumHosts+1; i++ { // host5 resolves but has no sshd
		fmt.Fprintf(&b, "127.0.0.1 host%d\n", i)
	}
	if err := os.WriteFile(hosts, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tl := &Tool{Bin: bin, hosts: hosts, Dir: filepath.Join(tmp, "deploy"), Log: filepath.Join(tmp, "log")}
	tl.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "LANG=" + lang, "TERM=dumb",
		"KAMONOHASHI_DEPLOY_DIR=" + tl.Dir, "KAMONOHASHI_DEPLOY_LOG_DIR=" + tl.Log,
		"KAMONOHASHI_DEPLOY_TEST_HOSTS_FILE=" + hosts, "KAMONOHASHI_DEPLOY_TEST_ALLOW_LOOPBACK=1",
	}
	return tl
}

// AddNames makes names resolve to the loopback hosts too (names of the
// test's own, e.g. for nodes in a shared control plane).
func (tl *Tool) AddNames(t *testing.T, names ...string) {
	t.Helper()
	f, err := os.OpenFile(tl.hosts, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range names {
		fmt.Fprintf(f, "127.0.0.1 %s\n", n)
	}
}

// Run runs the tool with extra environment and returns its combined output
// and exit status.
func (tl *Tool) Run(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(tl.Bin, args...)
	cmd.Env = append(append([]string{}, tl.Env...), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return string(out), code
}

// Configure writes the four-host cluster through flags.
func (tl *Tool) Configure(t *testing.T) {
	t.Helper()
	out, code := tl.Run(t, nil, "configure", "cluster", "--master", Host(1), "--kamonohashi", Host(2),
		"--storage", Host(3), "--nodes", Host(4), "--cpu-nodes", "", "--ssh-user", SSHUser)
	if code != 0 {
		t.Fatalf("configure: exit %d\n%s", code, out)
	}
}

// Load reads the inventory and settings configure wrote.
func (tl *Tool) Load(t *testing.T) (config.Inventory, config.Settings) {
	t.Helper()
	p := config.Paths{Dir: tl.Dir}
	inv, err := config.LoadInventory(p.Inventory())
	if err != nil {
		t.Fatal(err)
	}
	s, err := config.LoadSettings(p.Settings(), inv)
	if err != nil {
		t.Fatal(err)
	}
	return inv, s
}

// Terminal is the tool running on a pseudo-terminal.
type Terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	seen int // how far Expect has read
	done chan struct{}
}

// Start runs the tool on a new pseudo-terminal.
func (tl *Tool) Start(t *testing.T, env []string, args ...string) *Terminal {
	t.Helper()
	cmd := exec.Command(tl.Bin, args...)
	cmd.Env = append(append([]string{}, tl.Env...), env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	term := &Terminal{t: t, cmd: cmd, pty: f, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			term.mu.Lock()
			term.buf.Write(b[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	return term
}

// Expect waits until want appears in the output after what was already
// matched; it fails the test after a generous deadline.
func (term *Terminal) Expect(want string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		term.mu.Lock()
		s := term.buf.String()
		term.mu.Unlock()
		if i := strings.Index(s[term.seen:], want); i >= 0 {
			term.seen += i + len(want)
			return
		}
		select {
		case <-term.done:
			term.mu.Lock()
			s = term.buf.String()
			term.mu.Unlock()
			if i := strings.Index(s[term.seen:], want); i >= 0 {
				term.seen += i + len(want)
				return
			}
			term.t.Fatalf("the tool ended without printing %q; output:\n%s", want, s)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("no %q after 30 s; output:\n%s", want, s)
		}
	}
}

// Send types line and Enter.
func (term *Terminal) Send(line string) {
	term.t.Helper()
	if _, err := term.pty.Write([]byte(line + "\r")); err != nil {
		term.t.Fatal(err)
	}
}

// Wait waits for the tool to end and returns its exit status and whole output.
func (term *Terminal) Wait() (int, string) {
	term.t.Helper()
	err := term.cmd.Wait()
	<-term.done
	term.mu.Lock()
	defer term.mu.Unlock()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), term.buf.String()
	}
	if err != nil {
		term.t.Fatal(err)
	}
	return 0, term.buf.String()
}

// Package e2e drives the real kamonohashi binary: start-up, first-admin
// seeding, graceful shutdown and the admin commands.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

var binPath string

func TestMain(m *testing.M) {
	// make test builds the binary and passes it in; a plain `go test` builds it here.
	binPath = os.Getenv("KQI_BIN")
	if binPath == "" {
		dir, err := os.MkdirTemp("", "kqi-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binPath = filepath.Join(dir, "kamonohashi")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/kamonohashi").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
	}
	code := m.Run()
	os.Exit(code)
}

// server is one running kamonohashi process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	log  bytes.Buffer
	done chan error
}

var readyRe = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// start runs `kamonohashi server` on a free loopback port and waits until it
// says it is ready (or exits).
func start(t *testing.T, dataDir string, env ...string) *server {
	t.Helper()
	s := &server{done: make(chan error, 1)}
	s.cmd = exec.Command(binPath, "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	s.cmd.Env = append(cleanEnv(), env...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := readyRe.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			}
		}
		s.done <- s.cmd.Wait()
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.url = <-ready:
		return s
	case err := <-s.done:
		t.Fatalf("server exited before ready: %v\n%s", err, s.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("server not ready after 30s\n%s", s.logs())
	}
	return nil
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM and returns the exit error.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not stop within 30s of SIGTERM\n%s", s.logs())
	}
	return nil
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KAMONOHASHI_") {
			env = append(env, kv)
		}
	}
	return env
}

func login(t *testing.T, url, user, pw string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"userName": user, "password": pw})
	resp, err := http.Post(url+"/api/v2/account/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Token
}

var generatedRe = regexp.MustCompile(`generated the admin password.* password=(\S+)`)

func TestFirstStartGeneratesAdminPasswordOnce(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	m := generatedRe.FindStringSubmatch(s.logs())
	if m == nil {
		t.Fatalf("no generated password in the log:\n%s", s.logs())
	}
	pw := m[1]
	if code, _ := login(t, s.url, "admin", pw); code != http.StatusOK {
		t.Fatalf("login with generated password: status %d", code)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, s.logs())
	}
	if !strings.Contains(s.logs(), "shutting down") {
		t.Errorf("no shutdown message in the log:\n%s", s.logs())
	}

	// The second start keeps the admin and prints no password.
	s2 := start(t, dir, "KAMONOHASHI_ADMIN_PASSWORD=ignored-now-1")
	if generatedRe.MatchString(s2.logs()) {
		t.Errorf("second start printed a password again:\n%s", s2.logs())
	}
	if code, _ := login(t, s2.url, "admin", pw); code != http.StatusOK {
		t.Errorf("login after restart: status %d", code)
	}
	if code, _ := login(t, s2.url, "admin", "ignored-now-1"); code == http.StatusOK {
		t.Errorf("KAMONOHASHI_ADMIN_PASSWORD changed an existing admin's password")
	}
}

func TestConfiguredAdminPasswordAndHealth(t *testing.T) {
	s := start(t, t.TempDir(), "KAMONOHASHI_ADMIN_PASSWORD=admin-pass-1")
	if generatedRe.MatchString(s.logs()) {
		t.Errorf("printed a generated password although one was configured")
	}
	if code, tok := login(t, s.url, "admin", "admin-pass-1"); code != http.StatusOK || tok == "" {
		t.Fatalf("login: status %d", code)
	}
	for path, want := range map[string]string{
		"/healthz":          `"status":"ok"`,
		"/metrics":          "kamonohashi_http_requests_total",
		"/api/openapi.json": `"openapi"`,
		"/api/v2/version":   `"version"`,
	} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: status %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
}

func TestWeakAdminPasswordRefusedAtStart(t *testing.T) {
	for name, pw := range map[string]string{"digits only": "12345678", "too short": "short"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "server", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
			cmd.Env = append(cleanEnv(), "KAMONOHASHI_ADMIN_PASSWORD="+pw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("server started with admin password %q", pw)
			}
			if !strings.Contains(string(out), "KAMONOHASHI_ADMIN_PASSWORD") {
				t.Errorf("error does not name the setting:\n%s", out)
			}
		})
	}
}

func TestBadConfigurationIsOneClearLine(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"bad duration":   {[]string{"--token-lifetime", "ten days"}, "token-lifetime"},
		"mysql url":      {[]string{"--database-url", "mysql://x"}, "postgres://"},
		"bad log level":  {[]string{"--log-level", "loud"}, "log-level"},
		"missing config": {[]string{"--config", "/nonexistent/kqi.yaml"}, "config file"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(binPath, append([]string{"server", "--data-dir", t.TempDir()}, tc.args...)...)
			cmd.Env = cleanEnv()
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatal("server started with a bad configuration")
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("want one line naming %q, got:\n%s", tc.want, out)
			}
		})
	}
}

func TestMigrateBackupAndResetPassword(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binPath, append(args, "--data-dir", dir)...)
		cmd.Env = append(cleanEnv(), "KAMONOHASHI_ADMIN_PASSWORD=admin-pass-1")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("", "migrate"); !regexp.MustCompile(`schema version (\d+) \(latest \d+\)`).MatchString(out) {
		t.Fatalf("migrate output: %s", out)
	}
	s := start(t, dir, "KAMONOHASHI_ADMIN_PASSWORD=admin-pass-1")
	backup := filepath.Join(t.TempDir(), "kqi.db")
	if out := run("", "backup", backup); !strings.Contains(out, "written to "+backup) {
		t.Errorf("backup output: %s", out)
	}
	if info, err := os.Stat(backup); err != nil || info.Size() == 0 {
		t.Errorf("backup of a running server: %v", err)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	run("new-admin-pass-2\n", "user", "reset-password", "admin")

	cmd := exec.Command(binPath, "user", "reset-password", "admin", "--data-dir", dir)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader("12345678\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "digits") {
		t.Errorf("weak password accepted by reset-password: %v\n%s", err, out)
	}

	s2 := start(t, dir)
	if code, _ := login(t, s2.url, "admin", "new-admin-pass-2"); code != http.StatusOK {
		t.Errorf("login with reset password: status %d", code)
	}
	if code, _ := login(t, s2.url, "admin", "admin-pass-1"); code == http.StatusOK {
		t.Errorf("old password still works")
	}
}

// TestServerOnEveryEngine: the binary starts, seeds once and keeps its data
// across a restart on SQLite and on PostgreSQL alike.
func TestServerOnEveryEngine(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			env := []string{"KAMONOHASHI_ADMIN_PASSWORD=admin-pass-1"}
			if engine == testenv.Postgres {
				env = append(env, "KAMONOHASHI_DATABASE_URL="+testenv.PostgresURL(t))
			}
			dir := t.TempDir()
			s := start(t, dir, env...)
			if !strings.Contains(s.logs(), "database="+engine) {
				t.Errorf("server does not say it runs on %s:\n%s", engine, s.logs())
			}
			_, tok := login(t, s.url, "admin", "admin-pass-1")
			req, _ := http.NewRequest("PUT", s.url+"/api/v2/account/password",
				strings.NewReader(`{"currentPassword":"admin-pass-1","newPassword":"admin-pass-2"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("change password: %v %v", err, resp.Status)
			}
			resp.Body.Close()
			if err := s.stop(t); err != nil {
				t.Fatal(err)
			}

			s2 := start(t, dir, env...)
			if strings.Contains(s2.logs(), "migration applied") {
				t.Errorf("restart applied migrations again:\n%s", s2.logs())
			}
			if code, _ := login(t, s2.url, "admin", "admin-pass-2"); code != http.StatusOK {
				t.Errorf("the changed password did not survive a restart: status %d", code)
			}
		})
	}
}

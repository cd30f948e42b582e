// Package cli_test drives the real kqi binary against a real kamonohashi
// server on its embedded defaults (SQLite, a storage directory, the local
// runner) on loopback.
package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var serverBin, kqiBin string

// TestMain builds the binaries unless make test passes them in
// (KQI_BIN for the server, KQI_CLI_BIN for kqi).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kqi-cli-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = build(dir, "KQI_BIN", "kamonohashi")
	kqiBin = build(dir, "KQI_CLI_BIN", "kqi")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func build(dir, env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	out := filepath.Join(dir, name)
	if b, err := exec.Command("go", "build", "-o", out, "../../cmd/"+name).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, b)
		os.Exit(1)
	}
	return out
}

const adminPassword = "kqi-admin-pass1"

var readyRe = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// startServer runs `kamonohashi server` on a free loopback port until the
// test ends and returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(serverBin, "server", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(withoutPrefix("KAMONOHASHI_"), "KAMONOHASHI_ADMIN_PASSWORD="+adminPassword)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := readyRe.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("server log:\n%s", logs.String())
			mu.Unlock()
		}
	})
	select {
	case u := <-ready:
		return u
	case <-done:
	case <-time.After(60 * time.Second):
	}
	t.Fatalf("the server did not start:\n%s", logs.String())
	return ""
}

func withoutPrefix(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// user is one kqi user: a home directory of its own (~/.kqi).
type user struct {
	t    *testing.T
	home string
}

func newUser(t *testing.T) *user { return &user{t: t, home: t.TempDir()} }

// result is what one kqi run printed and how it exited.
type result struct {
	out, err string
	code     int
}

// kqi runs the binary with stdin and returns what it did.
func (u *user) kqiIn(stdin string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command(kqiBin, args...)
	cmd.Env = append(withoutPrefix("KQI_"), "HOME="+u.home)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out: out.String(), err: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("run kqi: %v", err)
	}
	return r
}

func (u *user) kqi(args ...string) result { u.t.Helper(); return u.kqiIn("", args...) }

// ok runs kqi and fails the test unless it exits 0.
func (u *user) ok(args ...string) string {
	u.t.Helper()
	r := u.kqi(args...)
	if r.code != 0 {
		u.t.Fatalf("kqi %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r.out
}

// okJSON runs kqi with --output json and decodes its answer.
func (u *user) okJSON(out any, args ...string) {
	u.t.Helper()
	b := u.ok(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(b), out); err != nil {
		u.t.Fatalf("kqi %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func (u *user) login(server string) {
	u.t.Helper()
	if r := u.kqiIn(adminPassword+"\n", "account", "login", "-s", server, "-u", "admin"); r.code != 0 {
		u.t.Fatalf("login: exit %d: %s", r.code, r.err)
	}
}

// token is the token login stored, for the few admin calls kqi lacks.
func (u *user) token() string {
	u.t.Helper()
	var c struct{ Token string }
	b, err := os.ReadFile(filepath.Join(u.home, ".kqi", "config.json"))
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		u.t.Fatal(err)
	}
	return c.Token
}

// api calls the server directly with the user's token.
func (u *user) api(server, method, path string, in, out any) {
	u.t.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, server+"/api/v2"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+u.token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		u.t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			u.t.Fatal(err)
		}
	}
}

// createdID reads "created 12".
func createdID(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^created (\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no `created ID` in %q", out)
	}
	return m[1]
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

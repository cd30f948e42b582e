package cli_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// bigFile writes size bytes of seeded random content.
func bigFile(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, r, size); err != nil {
		t.Fatal(err)
	}
}

func sum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestLargeFileAndTenThousandFiles uploads a 200 MiB file (in parts) and
// a directory of 10,000 small files, each as a data, and downloads them.
func TestLargeFileAndTenThousandFiles(t *testing.T) {
	server := startServer(t)
	u := newUser(t)
	u.login(server)
	work := t.TempDir()
	big := filepath.Join(work, "big.bin")
	bigFile(t, big, 200<<20)
	for i := range 10000 {
		writeFile(t, filepath.Join(work, "many", fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d.txt", i)),
			[]byte(fmt.Sprintf("file %d\n", i)))
	}
	bigID := createdID(t, u.ok("data", "create", "-n", "large", "-f", big))
	manyID := createdID(t, u.ok("data", "create", "-n", "many", "-f", filepath.Join(work, "many")))
	var files []struct{ FileName string }
	u.okJSON(&files, "data", "list-files", manyID)
	if len(files) != 10000 {
		t.Fatalf("the data holds %d files, want 10000", len(files))
	}

	dl := filepath.Join(work, "dl")
	u.ok("data", "download-files", bigID, "-d", dl)
	u.ok("data", "download-files", manyID, "-d", dl)
	if got, want := sum(t, filepath.Join(dl, "big.bin")), sum(t, big); got != want {
		t.Errorf("big.bin came back with sha256 %s, want %s", got, want)
	}
	for _, i := range []int{0, 4321, 9999} {
		name := filepath.Join("many", fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d.txt", i))
		if got := readFile(t, filepath.Join(dl, name)); got != fmt.Sprintf("file %d\n", i) {
			t.Errorf("%s: %q", name, got)
		}
	}
}

// TestBadInput: each mistake ends in one line on stderr, the exit code
// scripts rely on, and no data on the server.
func TestBadInput(t *testing.T) {
	server := startServer(t)
	admin := newUser(t)
	admin.login(server)
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "ok.txt"), []byte("ok"))
	withLink := filepath.Join(work, "with-link")
	writeFile(t, filepath.Join(withLink, "a.txt"), []byte("a"))
	if err := os.Symlink(filepath.Join(work, "gone"), filepath.Join(withLink, "broken")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(work, "empty.txt"), nil)

	config := func(server, token string) *user {
		u := newUser(t)
		writeFile(t, filepath.Join(u.home, ".kqi", "config.json"), fmt.Appendf(nil, `{"server":%q,"token":%q}`, server, token))
		return u
	}
	for name, tc := range map[string]struct {
		u        *user
		args     []string
		wantCode int
		wantErr  string
	}{
		"no config":                   {newUser(t), []string{"data", "list"}, 3, "not logged in"},
		"an expired token":            {config(server, "expired"), []string{"data", "list"}, 3, "run `kqi account login`"},
		"a wrong server URL":          {config("http://127.0.0.1:1", "x"), []string{"data", "list"}, 4, "cannot reach http://127.0.0.1:1"},
		"a server URL without scheme": {newUser(t), []string{"account", "login", "-s", "127.0.0.1:8080", "-u", "a", "-p", "b"}, 2, "not a URL"},
		"a wrong password":            {newUser(t), []string{"account", "login", "-s", server, "-u", "admin", "-p", "wrong-pass"}, 3, "login refused"},
		"a directory with an unreadable file": {admin, []string{"data", "create", "-n", "bad", "-f", filepath.Join(work, "ok.txt"), "-f", withLink},
			1, "cannot read " + filepath.Join(withLink, "broken")},
		"an empty file":       {admin, []string{"data", "create", "-n", "bad", "-f", filepath.Join(work, "empty.txt")}, 1, "is empty"},
		"a missing option":    {admin, []string{"data", "create", "-n", "bad"}, 2, `"file" not set`},
		"an ID that is not":   {admin, []string{"data", "get", "twelve"}, 2, "not an ID"},
		"an unknown command":  {admin, []string{"data", "frobnicate"}, 2, "unknown command"},
		"a data that is not":  {admin, []string{"data", "get", "999"}, 1, "HTTP 404"},
		"a bad output format": {admin, []string{"data", "list", "--output", "yaml"}, 2, "use json or table"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tc.u.kqi(tc.args...)
			if r.code != tc.wantCode || !strings.Contains(r.err, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.err, tc.wantCode, tc.wantErr)
			}
			if lines := strings.Count(strings.TrimSpace(r.err), "\n") + 1; r.err != "" && lines != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", lines, r.err)
			}
		})
	}
	if out := admin.ok("data", "list"); strings.Contains(out, "bad") {
		t.Errorf("a refused upload left data behind:\n%s", out)
	}
}

// TestInterruptedUploadResumes sends SIGINT (Ctrl-C) during an upload: one
// line, exit 130, no data; the same command then finishes the upload.
func TestInterruptedUploadResumes(t *testing.T) {
	server := startServer(t)
	u := newUser(t)
	u.login(server)
	work := t.TempDir()
	big := filepath.Join(work, "big.bin")
	bigFile(t, big, 200<<20)
	args := []string{"data", "create", "-n", "resumed", "-f", big, "--parallel", "1"}

	cmd := exec.Command(kqiBin, args...)
	cmd.Env = append(withoutPrefix("KQI_"), "HOME="+u.home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	journals := filepath.Join(u.home, ".kqi", "uploads", "*.jsonl")
	testenv.Eventually(t, 30*time.Second, func() bool {
		m, _ := filepath.Glob(journals)
		return len(m) == 1 && bytes.Contains(must(os.ReadFile(m[0])), []byte(`"t":"part"`))
	}, "the upload never stored a part")
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := <-exited
	if err == nil {
		t.Skip("the upload finished before the signal arrived")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || strings.Count(stderr.String(), "\n") != 1 ||
		!strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("after SIGINT: exit %d, stderr %q; want 130 and one line", code, stderr.String())
	}
	if out := u.ok("data", "list"); strings.Contains(out, "resumed") {
		t.Fatalf("an interrupted upload registered data:\n%s", out)
	}

	id := createdID(t, u.ok(args...))
	dl := filepath.Join(work, "dl")
	u.ok("data", "download-files", id, "-d", dl)
	if sum(t, filepath.Join(dl, "big.bin")) != sum(t, big) {
		t.Errorf("the resumed upload stored other content")
	}
	if m, _ := filepath.Glob(journals); len(m) != 0 {
		t.Errorf("journal left after the upload was registered: %v", m)
	}
}

func must(b []byte, _ error) []byte { return b }

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo/gitrepotest"
)

// trainScript is the code the session's training runs: it prints its
// option, writes a checkpoint and fails when asked to.
const trainScript = `set -e
echo "epoch 1 $GREETING"
ls -R "$KQI_INPUT_DIR"/training/
echo "epoch 2"
mkdir -p "$KQI_OUTPUT_DIR/ckpt"
echo weights > "$KQI_OUTPUT_DIR/ckpt/model.txt"
exit "${FAIL:-0}"
`

// TestScriptedSession is the session: login, data from files and
// a directory, a dataset, a training whose log is followed to its end,
// its outcome and its output downloaded, all with kqi against a fresh
// server.
func TestScriptedSession(t *testing.T) {
	server := startServer(t)
	u := newUser(t)
	work := t.TempDir()

	u.login(server)
	if out := u.ok("account", "get"); !strings.Contains(out, "user name: admin") || !strings.Contains(out, "* 1") {
		t.Errorf("account get:\n%s", out)
	}

	// Code in a local git server, made the tenant's default with kqi.
	gitBase := t.TempDir()
	repo := gitrepotest.MakeRepo(t, gitBase, "team/model")
	repo.Commit("train.sh", trainScript, "train")
	var g struct{ ID int64 }
	u.api(server, "POST", "/admin/git/endpoints", map[string]any{"name": "local", "serviceType": 5,
		"apiUrl": "file://" + gitBase, "repositoryUrl": "file://" + gitBase}, &g)
	gid := fmt.Sprint(g.ID)
	u.ok("tenant", "update", "1", "-dn", "sandbox", "-gid", "1", "-gid", gid, "-dgid", gid, "-rid", "1", "-drid", "1", "-sid", "1")

	// Data from two files and a directory.
	writeFile(t, filepath.Join(work, "a.txt"), []byte("alpha\n"))
	writeFile(t, filepath.Join(work, "b.csv"), []byte("x,y\n1,2\n"))
	writeFile(t, filepath.Join(work, "images", "cat", "1.png"), []byte("png-1"))
	writeFile(t, filepath.Join(work, "images", "dog", "2.png"), []byte("png-2"))
	dataID := createdID(t, u.ok("data", "create", "-n", "session", "-m", "from kqi", "-t", "raw",
		"-f", filepath.Join(work, "a.txt"), "-f", filepath.Join(work, "b.csv"), "-f", filepath.Join(work, "images")))
	var files []struct{ FileName string }
	u.okJSON(&files, "data", "list-files", dataID)
	var names []string
	for _, f := range files {
		names = append(names, f.FileName)
	}
	slices.Sort(names)
	if want := []string{"a.txt", "b.csv", "images/cat/1.png", "images/dog/2.png"}; !slices.Equal(names, want) {
		t.Errorf("data files %v, want %v", names, want)
	}

	ds := filepath.Join(work, "dataset.json")
	writeFile(t, ds, fmt.Appendf(nil, `{"name":"ds","memo":"m","entries":{"training":[{"id":%s}]}}`, dataID))
	dsID := createdID(t, u.ok("dataset", "create", "-f", ds))

	run := func(name string, extra ...string) string {
		args := append([]string{"training", "create", "-n", name, "-rim", "python", "-rt", "3.12", "-d", dsID,
			"-go", "team", "-gr", "model", "-e", "bash train.sh", "-c", "1", "-mem", "1", "-g", "0", "-o", "GREETING", "hello"}, extra...)
		return createdID(t, u.ok(args...))
	}
	trainID := run("run1")
	log := u.ok("training", "logs", "-f", trainID)
	for _, want := range []string{"epoch 1 hello", "1.png", "epoch 2"} {
		if !strings.Contains(log, want) {
			t.Errorf("followed log lacks %q:\n%s", want, log)
		}
	}
	if r := u.kqi("training", "wait", trainID); r.code != 0 || strings.TrimSpace(r.out) != "Completed" {
		t.Errorf("wait: exit %d, %q %s", r.code, r.out, r.err)
	}
	out := filepath.Join(work, "out")
	u.ok("training", "download-container-files", trainID, "-d", out)
	if got := readFile(t, filepath.Join(out, "ckpt", "model.txt")); got != "weights\n" {
		t.Errorf("downloaded checkpoint %q", got)
	}
	if got := u.ok("training", "logs", trainID); !strings.Contains(got, "epoch 2") {
		t.Errorf("log after the end:\n%s", got)
	}

	// The data comes back as it went.
	dl := filepath.Join(work, "dl")
	u.ok("data", "download-files", dataID, "-d", dl)
	for name, want := range map[string]string{"a.txt": "alpha\n", "images/dog/2.png": "png-2"} {
		if got := readFile(t, filepath.Join(dl, filepath.FromSlash(name))); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}

	// A failing training: wait says so in its exit code.
	failID := run("run2", "-o", "FAIL", "3")
	if r := u.kqi("training", "wait", failID); r.code != 10 || !strings.Contains(r.err, "exited with code 3") {
		t.Errorf("wait on a failing job: exit %d, stderr %q", r.code, r.err)
	}

	// Listing and editing as the original.
	u.ok("training", "update", trainID, "-m", "best", "-fav")
	var tr struct {
		Memo     string
		Favorite bool
	}
	u.okJSON(&tr, "training", "get", trainID)
	if tr.Memo != "best" || !tr.Favorite {
		t.Errorf("after update: %+v", tr)
	}
	if got := u.ok("training", "list", "--status", "Completed"); !strings.Contains(got, "run1") || strings.Contains(got, "run2") {
		t.Errorf("list --status Completed:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(u.home, ".kqi", "uploads")); err == nil {
		ents, _ := os.ReadDir(filepath.Join(u.home, ".kqi", "uploads"))
		if len(ents) != 0 {
			t.Errorf("upload journals left after registered uploads: %v", ents)
		}
	}
}

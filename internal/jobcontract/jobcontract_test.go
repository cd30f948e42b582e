package jobcontract_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// makeRepo commits files (name → content; a name ending in "*" is
// executable) into a new repository and returns its path and the commit.
func makeRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		perm := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, perm = strings.TrimSuffix(name, "*"), 0o755
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	h, err := wt.Commit("init", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, h.String()
}

func key(t *testing.T, typ storage.ResourceType, p string) storage.Key {
	t.Helper()
	k, err := storage.NewKey("sandbox", typ, p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeStored(t *testing.T, root string, k storage.Key, content string) {
	t.Helper()
	p, _ := jobcontract.RootResolver{Root: root}.LocalPath(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLayoutEnv(t *testing.T) {
	l := jobcontract.KubeLayout()
	want := map[string]string{"KQI_ROOT_DIR": "/kqi", "KQI_INPUT_DIR": "/kqi/input", "KQI_OUTPUT_DIR": "/kqi/output",
		"KQI_ATTACH_DIR": "/kqi/attach", "KQI_GIT_DIR": "/kqi/git", "KQI_PARENT_DIR": "/kqi/parent", "TMPDIR": "/kqi/tmp"}
	if diff := cmp.Diff(want, l.Env()); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
	if err := (jobcontract.Layout{Root: "rel"}).Check(); err == nil {
		t.Error("a relative layout was accepted")
	}
}

func TestPrepareFetchesCodeAtCommit(t *testing.T) {
	repo, commit := makeRepo(t, map[string]string{"train.py": "print(1)\n", "run.sh*": "echo hi\n", "pkg/a.txt": "a"})
	cache := t.TempDir()
	for _, name := range []string{"first", "cached"} {
		t.Run(name, func(t *testing.T) {
			l := jobcontract.UnderRoot(filepath.Join(t.TempDir(), "job"))
			j := jobcontract.Job{Layout: l, GitCache: cache,
				Spec: runner.Spec{Git: &runner.GitSource{URL: repo, Commit: commit}}}
			if err := jobcontract.Prepare(context.Background(), j, jobcontract.NoResolver{}); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(l.Git, "pkg/a.txt"))
			if err != nil || string(got) != "a" {
				t.Errorf("pkg/a.txt = %q, %v", got, err)
			}
			info, err := os.Stat(filepath.Join(l.Git, "run.sh"))
			if err != nil || info.Mode().Perm()&0o100 == 0 {
				t.Errorf("run.sh not executable: %v %v", info.Mode(), err)
			}
		})
	}
	l := jobcontract.UnderRoot(t.TempDir())
	j := jobcontract.Job{Layout: l, GitCache: cache,
		Spec: runner.Spec{Git: &runner.GitSource{URL: repo, Commit: strings.Repeat("ab", 20)}}}
	err := jobcontract.Prepare(context.Background(), j, jobcontract.NoResolver{})
	if err == nil || !strings.Contains(err.Error(), "abab") {
		t.Errorf("unknown commit: err = %v, want one naming the commit", err)
	}
}

func TestPrepareInputs(t *testing.T) {
	root := t.TempDir()
	stored := key(t, storage.Data, "7/cat.png")
	writeStored(t, root, stored, "png")
	res := jobcontract.RootResolver{Root: root}
	tests := map[string]struct {
		inputs  []runner.Input
		local   bool
		wantErr string
		link    bool
	}{
		"linked":             {inputs: []runner.Input{{DataPath: "training/7/cat.png", Stored: stored}}, link: true},
		"copied when local":  {inputs: []runner.Input{{DataPath: "7/cat.png", Stored: stored}}, local: true},
		"escape is refused":  {inputs: []runner.Input{{DataPath: "../etc/passwd", Stored: stored}}, wantErr: "leaves"},
		"absolute refused":   {inputs: []runner.Input{{DataPath: "/etc/passwd", Stored: stored}}, wantErr: "not a relative"},
		"missing is refused": {inputs: []runner.Input{{DataPath: "x", Stored: key(t, storage.Data, "8/gone")}}, wantErr: "sandbox/Data/8/gone is missing"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := jobcontract.UnderRoot(t.TempDir())
			j := jobcontract.Job{Layout: l, Spec: runner.Spec{Inputs: tc.inputs, LocalDataSet: tc.local}}
			err := jobcontract.Prepare(context.Background(), j, res)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(l.Input, tc.inputs[0].DataPath)
			info, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			if isLink := info.Mode()&os.ModeSymlink != 0; isLink != tc.link {
				t.Errorf("symlink = %v, want %v", isLink, tc.link)
			}
			if b, _ := os.ReadFile(p); string(b) != "png" {
				t.Errorf("content = %q", b)
			}
		})
	}
}

func TestPrepareMountsParents(t *testing.T) {
	root := t.TempDir()
	out := key(t, storage.TrainingContainerOutputFiles, "12")
	writeStored(t, root, key(t, storage.TrainingContainerOutputFiles, "12/model.bin"), "m")
	l := jobcontract.UnderRoot(t.TempDir())
	j := jobcontract.Job{Layout: l, Spec: runner.Spec{Mounts: []runner.Mount{{Path: "parent/12", Source: out}}}}
	if err := jobcontract.Prepare(context.Background(), j, jobcontract.RootResolver{Root: root}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(l.Parent(), "12", "model.bin")); err != nil || string(b) != "m" {
		t.Errorf("parent/12/model.bin = %q, %v", b, err)
	}
	j.Spec.Mounts = []runner.Mount{{Path: "../x", Source: out}}
	if err := jobcontract.Prepare(context.Background(), j, jobcontract.RootResolver{Root: root}); err == nil {
		t.Error("a mount leaving the root was accepted")
	}
}

func TestFinishZipsAndLocksOutput(t *testing.T) {
	l := jobcontract.UnderRoot(t.TempDir())
	if err := l.Create(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(l.Output, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.Output, "sub", "w.txt"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	j := jobcontract.Job{Layout: l, Spec: runner.Spec{ZipName: "training_output_1.zip"}}
	if err := jobcontract.Finish(context.Background(), j, jobcontract.Result{ExitCode: 0, Finished: time.Now()}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(filepath.Join(l.Attach, "training_output_1.zip"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if diff := cmp.Diff([]string{"sub/", "sub/w.txt"}, names); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
	res, err := jobcontract.ReadResult(l)
	if err != nil || res.ExitCode != 0 {
		t.Errorf("result = %+v, %v", res, err)
	}
	info, err := os.Stat(filepath.Join(l.Output, "sub", "w.txt"))
	if err != nil || info.Mode().Perm()&0o222 != 0 {
		t.Errorf("output file mode %v after finish, want read-only (%v)", info.Mode(), err)
	}
	if err := jobcontract.RemoveAll(l.Output); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Output); !os.IsNotExist(err) {
		t.Errorf("output still there after RemoveAll: %v", err)
	}
}

func TestFinishSkipsZipOnFailure(t *testing.T) {
	l := jobcontract.UnderRoot(t.TempDir())
	if err := l.Create(); err != nil {
		t.Fatal(err)
	}
	j := jobcontract.Job{Layout: l, Spec: runner.Spec{ZipName: "out.zip"}}
	if err := jobcontract.Finish(context.Background(), j, jobcontract.Result{ExitCode: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.Attach, "out.zip")); !os.IsNotExist(err) {
		t.Errorf("zip written for a failed run: %v", err)
	}
}

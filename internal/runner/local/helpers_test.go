package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// TestMain lets the test binary be the supervisor: the runner starts
// `<exe> job run --dir DIR`, as it starts `kamonohashi job run` in
// production.
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "job" && os.Args[2] == "run" {
		if err := local.Supervise(context.Background(), os.Args[4], slog.Default()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type env struct {
	t     *testing.T
	state string
	store *storage.FS
	opts  []local.Option
	// remote hides the store's local paths, as an S3 store has none.
	remote bool
}

// remoteStore is the real directory store without LocalPath.
type remoteStore struct{ storage.Store }

func (e *env) stores(context.Context, string) (storage.Store, error) {
	if e.remote {
		return remoteStore{e.store}, nil
	}
	return e.store, nil
}

func newEnv(t *testing.T, opts ...local.Option) *env {
	t.Helper()
	st, err := storage.NewFS(filepath.Join(t.TempDir(), "storage"), []byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]local.Option{local.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	e := &env{t: t, state: filepath.Join(t.TempDir(), "jobs"), store: st, opts: opts}
	t.Cleanup(e.cancelAll) // after the test's runners are closed, before the directories go
	return e
}

// cancelAll takes over the jobs left running with a new runner, cancels
// them and waits for them to end.
func (e *env) cancelAll() {
	exe, _ := os.Executable()
	r, err := local.New(context.Background(), e.state, exe, e.stores, e.opts...)
	if err != nil {
		e.t.Error(err)
		return
	}
	defer r.Close()
	entries, _ := os.ReadDir(e.state)
	for _, d := range entries {
		st, err := r.Status(context.Background(), d.Name())
		if err != nil || st.Phase.Terminal() {
			continue
		}
		_ = r.Cancel(context.Background(), d.Name())
		waitEnd(e.t, r, d.Name())
	}
}

// runner starts a Runner on the env's state directory; the test closes it
// and cancels whatever jobs are left.
func (e *env) runner() *local.Runner {
	e.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := local.New(context.Background(), e.state, exe, e.stores, e.opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { r.Close() })
	return r
}

// job builds a spec of a training job with a bash command.
func job(id int64, command string) runner.Spec {
	return runner.Spec{
		Key: fmt.Sprintf("sandbox-training-%d", id), Tenant: "sandbox", Kind: runner.Training, ID: id,
		Command: command, Env: map[string]string{"TRAINING_ID": fmt.Sprint(id)},
		Output:  storage.Key{Tenant: "sandbox", Type: storage.TrainingContainerOutputFiles, Path: fmt.Sprint(id)},
		Attach:  storage.Key{Tenant: "sandbox", Type: storage.TrainingContainerAttachedFiles, Path: fmt.Sprint(id)},
		LogName: fmt.Sprintf("training_stdout_stderr_%d.log", id),
	}
}

func gpus(s runner.Spec, n int) runner.Spec { s.Resources.GPU = n; return s }

func submit(t *testing.T, r *local.Runner, s runner.Spec) {
	t.Helper()
	if err := r.Submit(context.Background(), s); err != nil {
		t.Fatalf("submit %s: %v", s.Key, err)
	}
}

// waitFor watches r until key's status satisfies ok, or fails the test
// after the deadline.
func waitFor(t *testing.T, r *local.Runner, key string, d time.Duration, ok func(runner.Status) bool) runner.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ch, err := r.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var last runner.Status
	for st := range ch {
		if st.Key != key {
			continue
		}
		last = st
		if ok(st) {
			return st
		}
	}
	t.Fatalf("job %s: condition not reached in %v; last status %+v", key, d, last)
	return last
}

func waitPhase(t *testing.T, r *local.Runner, key string, p runner.Phase) runner.Status {
	t.Helper()
	return waitFor(t, r, key, 20*time.Second, func(st runner.Status) bool { return st.Phase == p })
}

func waitEnd(t *testing.T, r *local.Runner, key string) runner.Status {
	t.Helper()
	return waitFor(t, r, key, 20*time.Second, func(st runner.Status) bool { return st.Phase.Terminal() })
}

func logOf(t *testing.T, r *local.Runner, key string) string {
	t.Helper()
	rc, err := r.Logs(context.Background(), key, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// commandPid is the pid of the job's command, from its events.
func commandPid(t *testing.T, r *local.Runner, key string) int {
	t.Helper()
	evs, err := r.Events(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		var pid int
		if _, err := fmt.Sscanf(e.Message, "the command runs as process %d", &pid); err == nil {
			return pid
		}
	}
	t.Fatalf("no Started event in %+v", evs)
	return 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(s[i+1:], " Z")
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

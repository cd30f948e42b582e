package local_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/gpu"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

func fakeGPUs(n int) local.Option {
	return local.WithGPUs(func(context.Context) []runner.GPU {
		g, _ := gpu.Parse(strconv.Itoa(n))
		return g
	})
}

func TestJobSucceedsWithItsLog(t *testing.T) {
	e := newEnv(t)
	r := e.runner()
	s := job(1, `echo "hello from $TRAINING_ID"; echo "out=$KQI_OUTPUT_DIR"; echo "gpus=[$CUDA_VISIBLE_DEVICES]"; echo oops >&2`)
	submit(t, r, s)
	st := waitEnd(t, r, s.Key)
	if st.Phase != runner.Succeeded || st.ExitCode == nil || *st.ExitCode != 0 {
		t.Fatalf("status = %+v, want Succeeded with exit 0", st)
	}
	out, _ := e.store.LocalPath(s.Output)
	want := "hello from 1\nout=" + out + "\ngpus=[]\noops\n"
	if got := logOf(t, r, s.Key); got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestJobFailsWithItsExitCode(t *testing.T) {
	r := newEnv(t).runner()
	s := job(2, "echo bad; exit 3")
	submit(t, r, s)
	st := waitEnd(t, r, s.Key)
	if st.Phase != runner.Failed || st.ExitCode == nil || *st.ExitCode != 3 || !strings.Contains(st.Reason, "code 3") {
		t.Errorf("status = %+v, want Failed with exit code 3 and a reason", st)
	}
}

func TestCancelEndsTheProcessGroup(t *testing.T) {
	r := newEnv(t).runner()
	s := job(3, "sleep 600 & sleep 600")
	submit(t, r, s)
	waitPhase(t, r, s.Key, runner.Running)
	pid := commandPid(t, r, s.Key)
	if err := r.Cancel(context.Background(), s.Key); err != nil {
		t.Fatal(err)
	}
	st := waitEnd(t, r, s.Key)
	if st.Phase != runner.Canceled {
		t.Errorf("status = %+v, want Canceled", st)
	}
	if alive(pid) || syscall.Kill(-pid, 0) == nil {
		t.Errorf("process group %d still has processes after cancel", pid)
	}
}

func TestNoOrphanOutlivesTheCommand(t *testing.T) {
	e := newEnv(t)
	r := e.runner()
	s := job(4, `setsid sleep 600 & echo $! > "$KQI_OUTPUT_DIR/pid"; exit 0`)
	submit(t, r, s)
	if st := waitEnd(t, r, s.Key); st.Phase != runner.Succeeded {
		t.Fatalf("status = %+v", st)
	}
	out, _ := e.store.LocalPath(s.Output)
	b, err := os.ReadFile(filepath.Join(out, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 || alive(pid) {
		t.Errorf("background process %d (its own session) outlived the job", pid)
	}
}

func TestGPUsAreSharedOutAndQueued(t *testing.T) {
	r := newEnv(t, fakeGPUs(2), local.WithCapacity(8, 16)).runner()
	var keys []string
	for i := int64(10); i < 13; i++ {
		s := gpus(job(i, "echo gpu=$CUDA_VISIBLE_DEVICES; exec sleep 600"), 1)
		submit(t, r, s)
		keys = append(keys, s.Key)
	}
	a := waitPhase(t, r, keys[0], runner.Running)
	b := waitPhase(t, r, keys[1], runner.Running)
	if len(a.GPUs) != 1 || len(b.GPUs) != 1 || a.GPUs[0] == b.GPUs[0] {
		t.Fatalf("GPUs %v and %v, want one each, different", a.GPUs, b.GPUs)
	}
	c, err := r.Status(context.Background(), keys[2])
	if err != nil {
		t.Fatal(err)
	}
	if c.Phase != runner.Queued || c.Reason != "waiting for 1 GPU: 0 of 2 free" {
		t.Errorf("third job %+v, want Queued waiting for 1 GPU", c)
	}
	eventually(t, 5*time.Second, "first job's log", func() bool { return logOf(t, r, keys[0]) == "gpu="+a.GPUs[0]+"\n" })
	if err := r.Cancel(context.Background(), keys[0]); err != nil {
		t.Fatal(err)
	}
	c = waitPhase(t, r, keys[2], runner.Running)
	if len(c.GPUs) != 1 || c.GPUs[0] != a.GPUs[0] {
		t.Errorf("third job got %v, want the freed GPU %v", c.GPUs, a.GPUs)
	}
	nodes, _ := r.Nodes(context.Background())
	if len(nodes) != 1 || nodes[0].Allocated.GPU != 2 || len(nodes[0].GPUs) != 2 {
		t.Errorf("nodes = %+v", nodes)
	}
}

func TestTooBigIsUnschedulable(t *testing.T) {
	r := newEnv(t, fakeGPUs(2), local.WithCapacity(4, 8)).runner()
	for name, s := range map[string]runner.Spec{
		"3 GPUs":    gpus(job(20, "true"), 3),
		"100 cores": func() runner.Spec { s := job(21, "true"); s.Resources.CPU = 100; return s }(),
	} {
		if err := r.Submit(context.Background(), s); !errors.Is(err, runner.ErrUnschedulable) {
			t.Errorf("%s: err = %v, want ErrUnschedulable", name, err)
		}
	}
	s := job(22, "true")
	submit(t, r, s)
	if err := r.Submit(context.Background(), s); !errors.Is(err, runner.ErrExists) {
		t.Errorf("second submit: err = %v, want ErrExists", err)
	}
}

func TestLoudCommandKeepsMemoryBounded(t *testing.T) {
	r := newEnv(t).runner()
	const size = 200_000_000
	s := job(30, "yes 'a line of forty bytes, printed fast...' | head -c "+strconv.Itoa(size))
	submit(t, r, s)
	rc, err := r.Logs(context.Background(), s.Key, true)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != size {
		t.Errorf("followed %d bytes (%v), want %d", n, err, size)
	}
	if st := waitEnd(t, r, s.Key); st.Phase != runner.Succeeded {
		t.Fatalf("status = %+v", st)
	}
	evs, _ := r.Events(context.Background(), s.Key)
	for _, e := range evs {
		var kib int
		if _, err := fmt.Sscanf(e.Message, "peak resident memory of the supervisor: %d KiB", &kib); err == nil {
			if kib > 64<<10 {
				t.Errorf("supervisor peaked at %d KiB for a %d-byte log", kib, size)
			}
			return
		}
	}
	t.Errorf("no memory event in %+v", evs)
}

func TestLogCapKeepsTheJobGoing(t *testing.T) {
	r := newEnv(t, local.WithLogLimit(1000)).runner()
	s := job(31, "yes | head -c 5000; echo done >&2")
	submit(t, r, s)
	if st := waitEnd(t, r, s.Key); st.Phase != runner.Succeeded {
		t.Fatalf("status = %+v", st)
	}
	log := logOf(t, r, s.Key)
	if !strings.HasPrefix(log, "y\ny\n") || !strings.Contains(log, "reached its limit of 1000 bytes") || len(log) > 1200 {
		t.Errorf("capped log of %d bytes: ...%q", len(log), log[max(len(log)-120, 0):])
	}
}

func TestFollowerGetsLinesAsWritten(t *testing.T) {
	r := newEnv(t).runner()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	s := job(40, "echo first; cat "+fifo+"; echo last")
	submit(t, r, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc, err := r.Logs(ctx, s.Key, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lines := bufio.NewReader(rc)
	readLine := func(want string) {
		t.Helper()
		got, err := lines.ReadString('\n')
		if err != nil || got != want+"\n" {
			t.Fatalf("line %q, %v; want %q", got, err, want)
		}
	}
	readLine("first")
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := w.WriteString("middle\n"); err != nil {
		t.Fatal(err)
	}
	readLine("middle") // pushed while the command still runs
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("line took %v to reach the follower", d)
	}
	w.Close()
	readLine("last")
	if _, err := lines.ReadString('\n'); err != io.EOF {
		t.Errorf("after the job ended: %v, want EOF", err)
	}
}

func TestNewRunnerTakesOverRunningJobs(t *testing.T) {
	e := newEnv(t, fakeGPUs(1))
	r1 := e.runner()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	running := gpus(job(50, "echo before; cat "+fifo+"; echo after"), 1)
	queued := gpus(job(51, "echo second job"), 1)
	submit(t, r1, running)
	submit(t, r1, queued)
	waitPhase(t, r1, running.Key, runner.Running)
	eventually(t, 5*time.Second, "first line", func() bool { return logOf(t, r1, running.Key) == "before\n" })
	r1.Close() // the server stops; the supervisor does not

	r2 := e.runner()
	st, err := r2.Status(context.Background(), running.Key)
	if err != nil || st.Phase != runner.Running {
		t.Fatalf("after restart: %+v, %v; want Running", st, err)
	}
	if q, _ := r2.Status(context.Background(), queued.Key); q.Phase != runner.Queued || !strings.Contains(q.Reason, "GPU") {
		t.Errorf("queued job after restart: %+v", q)
	}
	if err := os.WriteFile(fifo, []byte("middle\n"), 0); err != nil {
		t.Fatal(err)
	}
	if st := waitEnd(t, r2, running.Key); st.Phase != runner.Succeeded {
		t.Fatalf("status = %+v", st)
	}
	if got := logOf(t, r2, running.Key); got != "before\nmiddle\nafter\n" {
		t.Errorf("log = %q", got)
	}
	if st := waitEnd(t, r2, queued.Key); st.Phase != runner.Succeeded {
		t.Errorf("queued job: %+v", st)
	}
	if err := r2.Remove(context.Background(), running.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Status(context.Background(), running.Key); !errors.Is(err, runner.ErrNotFound) {
		t.Errorf("after Remove: %v", err)
	}
}

// With a store that is not a directory here (S3), output and attach live
// in the job directory and are uploaded before the job is reported ended.
func TestOutputsAreUploadedToARemoteStore(t *testing.T) {
	e := newEnv(t)
	e.remote = true
	r := e.runner()
	s := job(70, `echo weights > "$KQI_OUTPUT_DIR/model.txt"; echo trained`)
	s.ZipName = "training_output_70.zip"
	submit(t, r, s)
	if st := waitEnd(t, r, s.Key); st.Phase != runner.Succeeded {
		t.Fatalf("status = %+v", st)
	}
	for _, want := range []struct {
		k       storage.Key
		content string
	}{
		{storage.Key{Tenant: "sandbox", Type: storage.TrainingContainerOutputFiles, Path: "70/model.txt"}, "weights\n"},
		{storage.Key{Tenant: "sandbox", Type: storage.TrainingContainerAttachedFiles, Path: "70/" + s.LogName}, "trained\n"},
	} {
		rc, _, err := e.store.Open(context.Background(), want.k, 0, -1)
		if err != nil {
			t.Errorf("%s: %v", want.k, err)
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != want.content {
			t.Errorf("%s = %q, want %q", want.k, b, want.content)
		}
	}
	zipKey := storage.Key{Tenant: "sandbox", Type: storage.TrainingContainerAttachedFiles, Path: "70/" + s.ZipName}
	if _, err := e.store.Stat(context.Background(), zipKey); err != nil {
		t.Errorf("zip not uploaded: %v", err)
	}
	if err := r.Remove(context.Background(), s.Key); err != nil {
		t.Errorf("remove (read-only output in the job directory): %v", err)
	}
}

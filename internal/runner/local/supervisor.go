package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// killGrace is how long the processes of an ended or canceled job get
// between SIGTERM and SIGKILL (the original pod's grace period).
const killGrace = 5 * time.Second

// Supervise runs the job of directory dir: prepare, the user's command,
// finish. It is `kamonohashi job run --dir DIR`, which the runner starts in
// a session of its own with the control socket as descriptor 3, so that it
// outlives a restart of the server (like conmon or a containerd shim).
func Supervise(ctx context.Context, dir string, log *slog.Logger) error {
	var rec record
	if err := readJSON(filepath.Join(dir, specFile), &rec); err != nil {
		return err
	}
	var ln launch
	if err := readJSON(filepath.Join(dir, launchFile), &ln); err != nil {
		return err
	}
	l, err := net.FileListener(os.NewFile(3, "control"))
	if err != nil {
		return fmt.Errorf("control socket (descriptor 3): %w", err)
	}
	defer l.Close()
	host, _ := os.Hostname()
	s := &supervisor{dir: dir, rec: rec, launch: ln, log: log, canceled: make(chan struct{}),
		changed: make(chan struct{}),
		status:  runner.Status{Key: rec.Job.Spec.Key, Phase: runner.Preparing, Node: host, GPUs: gpuIDs(ln.GPUs)}}
	if err := os.MkdirAll(rec.Job.Layout.Attach, 0o755); err != nil {
		return fmt.Errorf("create attach directory: %w", err)
	}
	s.logs, err = openLogStream(rec.logPath(), rec.LogLimit)
	if err != nil {
		return err
	}
	var conns sync.WaitGroup
	go s.serve(l, &conns)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		select {
		case <-sig:
			s.cancel()
		case <-ctx.Done():
			s.cancel()
		}
	}()
	s.setStatus(func(st *runner.Status) {}) // Preparing, on disk
	final := s.run()
	s.setStatus(func(st *runner.Status) { *st = final })
	s.logs.Close()
	waitTimeout(&conns, 10*time.Second) // followers get the rest of the log
	return nil
}

type supervisor struct {
	dir    string
	rec    record
	launch launch
	log    *slog.Logger
	logs   *logStream

	cancelOnce sync.Once
	canceled   chan struct{}

	mu      sync.Mutex
	status  runner.Status
	changed chan struct{}
}

func (s *supervisor) cancel() { s.cancelOnce.Do(func() { close(s.canceled) }) }

func (s *supervisor) isCanceled() bool {
	select {
	case <-s.canceled:
		return true
	default:
		return false
	}
}

// setStatus changes the status, writes it to state.json and wakes the
// watchers, in that order: a watcher that sees a terminal status can rely
// on the file.
func (s *supervisor) setStatus(change func(*runner.Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.status)
	if err := jobcontract.WriteJSONAtomic(filepath.Join(s.dir, stateFile), s.status); err != nil {
		s.log.Error("write job state", "job", s.status.Key, "error", err)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *supervisor) event(isErr bool, reason, format string, args ...any) {
	e := runner.Event{Time: time.Now(), Error: isErr, Reason: reason, Message: fmt.Sprintf(format, args...)}
	if err := appendEvent(s.dir, e); err != nil {
		s.log.Error("write job event", "error", err)
	}
}

// serve answers the control socket until it is closed.
func (s *supervisor) serve(l net.Listener, conns *sync.WaitGroup) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			s.handle(c)
		}()
	}
}

func (s *supervisor) handle(c net.Conn) {
	req, _, err := readRequest(c)
	if err != nil {
		return
	}
	switch req {
	case reqCancel:
		s.cancel()
		_, _ = c.Write([]byte("ok\n"))
	case reqLogs:
		_ = s.logs.follow(context.Background(), c)
	case reqWatch:
		enc := json.NewEncoder(c)
		for {
			s.mu.Lock()
			st, changed := s.status, s.changed
			s.mu.Unlock()
			if enc.Encode(st) != nil || st.Phase.Terminal() {
				return
			}
			<-changed
		}
	}
}

// run is the job's life; it returns the terminal status.
func (s *supervisor) run() runner.Status {
	j := s.rec.Job
	end := func(phase runner.Phase, res jobcontract.Result, reason string) runner.Status {
		res.Finished = time.Now()
		if err := jobcontract.Finish(context.Background(), j, res); err != nil {
			s.logs.Printf("finish: %v", err)
			s.event(true, "FinishFailed", "%v", err)
			if phase == runner.Succeeded {
				phase, reason = runner.Failed, "finish: "+err.Error()
			}
		}
		st := s.snapshot()
		st.Phase, st.Reason, st.Finished = phase, reason, res.Finished
		if phase != runner.Canceled || !res.Started.IsZero() {
			code := res.ExitCode
			st.ExitCode = &code
		}
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			s.event(false, "SupervisorMemory", "peak resident memory of the supervisor: %d KiB", ru.Maxrss)
		}
		s.event(phase != runner.Succeeded, string(phase), "%s", firstNonEmpty(reason, "the command exited 0"))
		return st
	}
	if err := becomeSubreaper(); err != nil {
		s.event(true, "NoSubreaper", "processes left by the command may survive it: %v", err)
	}
	if j.Spec.Image != "" {
		s.event(false, "NoContainer", "the local runner runs the command on this machine; image %s is not used", j.Spec.Image)
	}
	s.event(false, "Preparing", "fetching the code and linking the dataset")
	prepCtx, stop := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.canceled:
			stop()
		case <-prepCtx.Done():
		}
	}()
	err := jobcontract.Prepare(prepCtx, j, mapResolver(s.rec.Paths))
	stop()
	if s.isCanceled() {
		return end(runner.Canceled, jobcontract.Result{ExitCode: -1, Canceled: true}, "canceled")
	}
	if err != nil {
		s.logs.Printf("prepare failed: %v", err)
		return end(runner.Failed, jobcontract.Result{ExitCode: -1, Error: err.Error()}, "prepare: "+err.Error())
	}
	res, phase, reason := s.runMain()
	return end(phase, res, reason)
}

func (s *supervisor) snapshot() runner.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func gpuIDs(gpus []runner.GPU) []string {
	var ids []string
	for _, g := range gpus {
		ids = append(ids, fmt.Sprint(g.Index))
	}
	return ids
}

// waitTimeout waits for wg, at most d.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

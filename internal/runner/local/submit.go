package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

var keyRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Submit records the job in its directory and starts its supervisor, or
// queues it until the machine has room.
func (r *Runner) Submit(ctx context.Context, s runner.Spec) error {
	if !keyRE.MatchString(s.Key) {
		return fmt.Errorf("local runner: job key %q is not a DNS label", s.Key)
	}
	if s.LogName == "" || filepath.Base(s.LogName) != s.LogName || s.LogName == ".." {
		return fmt.Errorf("local runner: job %s: log name %q is not a file name", s.Key, s.LogName)
	}
	r.mu.Lock()
	_, known := r.jobs[s.Key]
	unsched := r.pool.unschedulable(s.Resources)
	r.mu.Unlock()
	if known || exists(filepath.Join(r.dir, s.Key)) {
		return fmt.Errorf("local runner: job %s: %w", s.Key, runner.ErrExists)
	}
	if unsched != nil {
		return fmt.Errorf("local runner: job %s: %w", s.Key, unsched)
	}
	rec, err := r.newRecord(ctx, s)
	if err != nil {
		return fmt.Errorf("local runner: job %s: %w", s.Key, err)
	}
	dir := filepath.Join(r.dir, s.Key)
	if err := os.Mkdir(dir, 0o750); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("local runner: job %s: %w", s.Key, runner.ErrExists)
		}
		return fmt.Errorf("local runner: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	rec.Seq, rec.Submitted = r.seq, r.now()
	j := &job{rec: rec, dir: dir, status: runner.Status{Key: s.Key, Phase: runner.Queued}}
	if err := jobcontract.WriteJSONAtomic(filepath.Join(dir, specFile), rec); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("local runner: job %s: %w", s.Key, err)
	}
	r.writeState(j)
	r.jobs[s.Key] = j
	r.queue = append(r.queue, j)
	r.admit()
	return nil
}

// newRecord lays the job out: with a directory store, output and attach
// are the storage's own directories (listable while the job runs) and
// inputs link to stored files; otherwise they live in the job directory and
// are uploaded after the job ends.
func (r *Runner) newRecord(ctx context.Context, s runner.Spec) (record, error) {
	dir := filepath.Join(r.dir, s.Key)
	l := jobcontract.UnderRoot(filepath.Join(dir, "root"))
	rec := record{LogLimit: r.logLimit, CgroupParent: r.cgParent, NoCgroup: r.noCgroup}
	st, err := r.stores(ctx, s.Tenant)
	if err != nil {
		return rec, fmt.Errorf("storage of tenant %s: %w", s.Tenant, err)
	}
	if ls, ok := st.(localStore); ok {
		if l.Output, err = ls.LocalPath(s.Output); err != nil {
			return rec, fmt.Errorf("output: %w", err)
		}
		if l.Attach, err = ls.LocalPath(s.Attach); err != nil {
			return rec, fmt.Errorf("attach: %w", err)
		}
		rec.Paths = map[string]string{}
		keys := make([]storage.Key, 0, len(s.Inputs)+len(s.Mounts))
		for _, in := range s.Inputs {
			keys = append(keys, in.Stored)
		}
		for _, m := range s.Mounts {
			keys = append(keys, m.Source)
		}
		for _, k := range keys {
			p, err := ls.LocalPath(k)
			if err != nil {
				return rec, fmt.Errorf("stored file %s: %w", k, err)
			}
			rec.Paths[k.String()] = p
		}
	} else {
		rec.Upload = true
	}
	rec.Job = jobcontract.Job{Spec: s, Layout: l, GitCache: r.gitCache}
	return rec, nil
}

// admit starts the queued jobs that fit and tells the others why they
// wait. r.mu is held.
func (r *Runner) admit() {
	wants := make([]runner.Resources, len(r.queue))
	for i, j := range r.queue {
		wants[i] = j.rec.Job.Spec.Resources
	}
	start, reasons := r.pool.schedule(wants)
	started := map[int]bool{}
	for _, i := range start {
		started[i] = true
		j := r.queue[i]
		j.gpus, j.held = r.pool.take(j.rec.Job.Spec.Resources), true
		if err := r.startSupervisor(j); err != nil {
			r.log.Error("start job supervisor", "job", j.rec.Job.Spec.Key, "error", err)
			r.release(j)
			r.event(j, true, "StartFailed", "%v", err)
			r.setStatus(j, runner.Status{Key: j.status.Key, Phase: runner.Failed,
				Reason: "the supervisor did not start: " + err.Error(), Finished: r.now()})
			continue
		}
		// The supervisor owns state.json from now on.
		j.status = runner.Status{Key: j.status.Key, Phase: runner.Preparing, Node: r.node, GPUs: gpuIDs(j.gpus)}
		r.publish(j.status)
	}
	var rest []*job
	for i, j := range r.queue {
		if started[i] {
			continue
		}
		rest = append(rest, j)
		if j.status.Reason != reasons[i] {
			r.event(j, false, "Queued", "%s", reasons[i])
			st := j.status
			st.Reason = reasons[i]
			r.setStatus(j, st)
		}
	}
	r.queue = rest
}

// startSupervisor writes what admission gave the job and starts
// `<exe> job run --dir DIR` in a new session, handing it the control
// socket, so that it runs on when the server stops.
func (r *Runner) startSupervisor(j *job) error {
	ln := launch{GPUs: j.gpus, Admitted: r.now()}
	if err := jobcontract.WriteJSONAtomic(filepath.Join(j.dir, launchFile), ln); err != nil {
		return err
	}
	sock, err := listenControl(j.dir)
	if err != nil {
		return err
	}
	defer sock.Close()
	out, err := os.OpenFile(filepath.Join(j.dir, superLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(r.exe, "job", "run", "--dir", j.dir)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{sock}
	cmd.Env = supervisorEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }() // reap it while we are its parent
	r.watchJob(j)
	return nil
}

// passedEnv are the server's variables a job's command sees: where
// programs and the GPU driver's libraries are, and the host's NCCL/CUDA
// settings (an administrator may have set some for every program of the
// host). Nothing else of the server's environment (its secrets) passes.
var passedEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TZ", "LANG", "LD_LIBRARY_PATH", "CUDA_HOME",
	"NCCL_NVLS_ENABLE", "TORCH_SYMM_MEM_DISABLE_MULTICAST", "NVSHMEM_DISABLE_NVLS"}

// supervisorEnv passes on what a command needs (and nothing of the
// server's secrets).
func supervisorEnv() []string {
	var env []string
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// release gives back what a job held. r.mu is held.
func (r *Runner) release(j *job) {
	if j.held {
		r.pool.give(j.rec.Job.Spec.Resources, j.gpus)
		j.held = false
	}
}

// setStatus records a status the server decides while no supervisor runs
// (queued, failed to start, canceled while queued) and tells the watchers.
// r.mu is held.
func (r *Runner) setStatus(j *job, st runner.Status) {
	j.status = st
	r.writeState(j)
	r.publish(st)
}

func (r *Runner) writeState(j *job) {
	if err := jobcontract.WriteJSONAtomic(filepath.Join(j.dir, stateFile), j.status); err != nil {
		r.log.Error("write job state", "job", j.status.Key, "error", err)
	}
}

func (r *Runner) event(j *job, isErr bool, reason, format string, args ...any) {
	e := runner.Event{Time: r.now(), Error: isErr, Reason: reason, Message: fmt.Sprintf(format, args...)}
	if err := appendEvent(j.dir, e); err != nil {
		r.log.Error("write job event", "job", j.status.Key, "error", err)
	}
}

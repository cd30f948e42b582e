package local

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

func (r *Runner) lookup(key string) (*job, error) {
	j, ok := r.jobs[key]
	if !ok {
		return nil, fmt.Errorf("local runner: job %s: %w", key, runner.ErrNotFound)
	}
	return j, nil
}

// Status is the job's current state.
func (r *Runner) Status(_ context.Context, key string) (runner.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, err := r.lookup(key)
	if err != nil {
		return runner.Status{}, err
	}
	return j.status, nil
}

// Cancel takes a queued job off the queue, or tells a running job's
// supervisor to end it (SIGTERM to everything the command started, SIGKILL
// after a grace period); the status turns Canceled when it has ended.
func (r *Runner) Cancel(ctx context.Context, key string) error {
	r.mu.Lock()
	j, err := r.lookup(key)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if j.status.Phase.Terminal() {
		r.mu.Unlock()
		return nil
	}
	if i := slices.Index(r.queue, j); i >= 0 {
		defer r.mu.Unlock()
		r.queue = slices.Delete(r.queue, i, i+1)
		r.event(j, false, "Canceled", "canceled while queued")
		r.setStatus(j, runner.Status{Key: key, Phase: runner.Canceled, Reason: "canceled while queued", Finished: r.now()})
		r.admit() // what it reserved is free for the others
		return nil
	}
	r.mu.Unlock()
	c, err := dialControl(ctx, j.dir, reqCancel)
	if err != nil {
		return nil // the supervisor has ended: the job is ending on its own
	}
	defer c.Close()
	_, err = bufio.NewReader(c).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("local runner: cancel %s: %w", key, err)
	}
	return nil
}

// Logs reads the job's log from the attach file; with follow, from the
// supervisor, which pushes new output as it is written, until the job
// ends. A queued job's follower waits for it to start.
func (r *Runner) Logs(ctx context.Context, key string, follow bool) (io.ReadCloser, error) {
	r.mu.Lock()
	j, err := r.lookup(key)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !follow {
		return openLog(j.rec.logPath())
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(r.followLogs(ctx, j, pw)) }()
	return pr, nil
}

// followLogs copies the live log to w: from the supervisor while it runs,
// else from the file once the job has ended.
func (r *Runner) followLogs(ctx context.Context, j *job, w io.Writer) error {
	for {
		r.mu.Lock()
		phase, changed := j.status.Phase, r.changed
		r.mu.Unlock()
		if phase != runner.Queued {
			c, err := dialControl(ctx, j.dir, reqLogs)
			if err == nil {
				stop := context.AfterFunc(ctx, func() { c.Close() })
				defer stop()
				defer c.Close()
				_, err = io.Copy(w, c)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			if phase.Terminal() {
				f, err := openLog(j.rec.logPath())
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = io.Copy(w, f)
				return err
			}
		}
		select { // queued, or the supervisor is starting or ending
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
	}
}

func openLog(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return f, err
}

// Events lists what happened to the job.
func (r *Runner) Events(_ context.Context, key string) ([]runner.Event, error) {
	r.mu.Lock()
	j, err := r.lookup(key)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return readEvents(j.dir)
}

// Nodes reports this machine.
func (r *Runner) Nodes(context.Context) ([]runner.Node, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return []runner.Node{{Name: r.node, Partition: r.partition, Capacity: r.pool.capacity, Allocated: r.pool.used,
		GPUs: slices.Clone(r.pool.gpus)}}, nil
}

// Remove deletes an ended job's directory. With a directory store its
// output and attach live in the storage and stay.
func (r *Runner) Remove(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, err := r.lookup(key)
	if err != nil {
		return err
	}
	if !j.status.Phase.Terminal() {
		return fmt.Errorf("local runner: job %s is %s; cancel it before removing it", key, j.status.Phase)
	}
	if err := jobcontract.RemoveAll(j.dir); err != nil {
		return fmt.Errorf("local runner: remove job %s: %w", key, err)
	}
	delete(r.jobs, key)
	return nil
}

package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// watchJob follows a started job's supervisor until the job ends (or the
// runner closes). r.mu may be held: the work happens in a goroutine.
func (r *Runner) watchJob(j *job) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.followSupervisor(j)
	}()
}

// followSupervisor takes the statuses the supervisor pushes. When the
// connection ends, state.json holds the outcome; a supervisor that died
// without one (killed, machine rebooted) leaves a failed job.
func (r *Runner) followSupervisor(j *job) {
	key := j.rec.Job.Spec.Key
	if c, err := dialControl(r.ctx, j.dir, reqWatch); err == nil {
		stop := context.AfterFunc(r.ctx, func() { c.Close() })
		dec := json.NewDecoder(c)
		for {
			var st runner.Status
			if dec.Decode(&st) != nil {
				break
			}
			if !st.Phase.Terminal() {
				r.mu.Lock()
				j.status = st
				r.publish(st)
				r.mu.Unlock()
			}
		}
		stop()
		c.Close()
	}
	if r.ctx.Err() != nil {
		return // closing: the supervisor runs on, a later runner takes over
	}
	var st runner.Status
	if err := readJSON(filepath.Join(j.dir, stateFile), &st); err != nil || !st.Phase.Terminal() {
		st = runner.Status{Key: key, Phase: runner.Failed, Node: r.node, GPUs: gpuIDs(j.gpus), Finished: r.now(),
			Reason: "the job's supervisor ended without a result (see " + superLog + " in the job directory)"}
		if err := jobcontract.WriteJSONAtomic(filepath.Join(j.dir, stateFile), st); err != nil {
			r.log.Error("write job state", "job", key, "error", err)
		}
		r.event(j, true, "SupervisorLost", "%s", st.Reason)
	}
	if j.rec.Upload && !exists(filepath.Join(j.dir, uploaded)) {
		if err := r.upload(r.ctx, j); err != nil {
			if r.ctx.Err() != nil {
				return // a later runner uploads
			}
			r.event(j, true, "UploadFailed", "%v", err)
			if st.Phase == runner.Succeeded {
				st.Phase, st.Reason = runner.Failed, "upload of the outputs: "+err.Error()
				_ = jobcontract.WriteJSONAtomic(filepath.Join(j.dir, stateFile), st)
			}
		}
		if err := os.WriteFile(filepath.Join(j.dir, uploaded), nil, 0o644); err != nil {
			r.log.Error("mark job uploaded", "job", key, "error", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.release(j)
	j.status = st
	r.publish(st)
	r.admit()
}

// upload copies output and attach into the tenant's store, as one batch.
func (r *Runner) upload(ctx context.Context, j *job) error {
	s := j.rec.Job.Spec
	st, err := r.stores(ctx, s.Tenant)
	if err != nil {
		return err
	}
	b := st.Batch()
	for dir, prefix := range map[string]storage.Key{j.rec.Job.Layout.Output: s.Output, j.rec.Job.Layout.Attach: s.Attach} {
		if err := putTree(ctx, b, dir, prefix); err != nil {
			_ = b.Abort(ctx)
			return fmt.Errorf("upload %s: %w", prefix, err)
		}
	}
	return b.Commit(ctx)
}

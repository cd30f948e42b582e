package local

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// watcher holds the statuses not yet taken by one Watch caller. The queue
// is unbounded so that a slow reader never loses a terminal status.
type watcher struct {
	mu   sync.Mutex
	q    []runner.Status
	wake chan struct{} // capacity 1
}

func (w *watcher) push(st runner.Status) {
	w.mu.Lock()
	w.q = append(w.q, st)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) pop() (runner.Status, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.q) == 0 {
		return runner.Status{}, false
	}
	st := w.q[0]
	w.q = w.q[1:]
	return st, true
}

// publish sends a status to every watcher and wakes internal waiters.
// r.mu is held.
func (r *Runner) publish(st runner.Status) {
	for w := range r.watchers {
		w.push(st)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Watch sends every job's status, in submission order, then each change,
// until ctx ends or the runner closes.
func (r *Runner) Watch(ctx context.Context) (<-chan runner.Status, error) {
	w := &watcher{wake: make(chan struct{}, 1)}
	r.mu.Lock()
	jobs := make([]*job, 0, len(r.jobs))
	for _, j := range r.jobs {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *job) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	for _, j := range jobs {
		w.push(j.status)
	}
	r.watchers[w] = struct{}{}
	r.mu.Unlock()
	out := make(chan runner.Status)
	go func() {
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.watchers, w)
			r.mu.Unlock()
		}()
		for {
			st, ok := w.pop()
			if !ok {
				select {
				case <-w.wake:
					continue
				case <-ctx.Done():
					return
				case <-r.ctx.Done():
					return
				}
			}
			select {
			case out <- st:
			case <-ctx.Done():
				return
			case <-r.ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

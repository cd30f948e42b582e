// Package local runs jobs as processes on this machine: the embedded
// default runner of a single-server install. Each job gets a directory
// under the state directory and a supervisor process (`kamonohashi job run
// --dir DIR`) that runs the job contract's prepare, the user's command and
// finish, writes the log, and outlives restarts of the server, which
// re-attaches to it through the job's control socket.
package local

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

var _ runner.Runner = (*Runner)(nil)

// StoreResolver returns the store that holds a tenant's files (the
// endpoint pool's ForTenant).
type StoreResolver func(ctx context.Context, tenant string) (storage.Store, error)

// localStore is a store whose files are on this machine (the directory
// backend): jobs write their output and attach directories in place.
type localStore interface {
	LocalPath(storage.Key) (string, error)
}

// Runner runs jobs on this machine. It is safe for concurrent use.
type Runner struct {
	dir       string
	exe       string
	stores    StoreResolver
	log       *slog.Logger
	now       func() time.Time
	node      string
	partition string // from the administrator's node setting
	logLimit  int64
	gitCache  string
	cgParent  string // where job cgroups go; "" with the reason in noCgroup
	noCgroup  string

	ctx  context.Context // ends on Close
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	pool     *pool
	jobs     map[string]*job
	queue    []*job // waiting, in submission order
	seq      int64
	watchers map[*watcher]struct{}
	changed  chan struct{} // closed and replaced on every status change
}

type job struct {
	rec    record
	dir    string
	status runner.Status
	gpus   []runner.GPU
	held   bool // its resources are allocated
}

// Option configures New.
type Option func(*options)

type options struct {
	cpu, memGB   int
	gpus         func(context.Context) []runner.GPU
	log          *slog.Logger
	now          func() time.Time
	logLimit     int64
	gitCache     string
	cgroupParent string
}

// WithCapacity overrides the CPU cores and GiB of memory jobs may use in
// total (default: what the machine, or our cgroup, has); 0 keeps the
// detected value.
func WithCapacity(cpu, memGB int) Option { return func(o *options) { o.cpu, o.memGB = cpu, memGB } }

// WithGPUs sets GPU discovery (gpu.Discover); default: no GPU.
func WithGPUs(f func(context.Context) []runner.GPU) Option { return func(o *options) { o.gpus = f } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock of the server's own timestamps.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogLimit caps each job's attach log (default 4 GiB): past it the
// output is read and dropped after a marker line.
func WithLogLimit(bytes int64) Option { return func(o *options) { o.logLimit = bytes } }

// WithGitCache sets the directory of repository mirrors shared by jobs
// (default <state>/.git-cache).
func WithGitCache(dir string) Option { return func(o *options) { o.gitCache = dir } }

// WithCgroupParent names a cgroup v2 directory delegated to the server
// (e.g. of a systemd unit with Delegate=yes) under which jobs get cgroups
// with their memory and CPU limits. Default: the server's own cgroup, when
// usable.
func WithCgroupParent(dir string) Option { return func(o *options) { o.cgroupParent = dir } }

// DefaultLogLimit is the default cap of one job's log.
const DefaultLogLimit = 4 << 30

// New returns a runner keeping its jobs under stateDir (e.g.
// <data-dir>/jobs). exe is our own binary (os.Executable), started as each
// job's supervisor. Jobs found in stateDir from an earlier server are
// taken over: running ones re-attached, queued ones queued again in order,
// ended ones reported.
func New(ctx context.Context, stateDir, exe string, stores StoreResolver, opts ...Option) (*Runner, error) {
	o := options{log: slog.Default(), now: time.Now, logLimit: DefaultLogLimit,
		gitCache: filepath.Join(stateDir, ".git-cache")}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	cpu, mem := detectCapacity()
	if o.cpu > 0 {
		cpu = o.cpu
	}
	if o.memGB > 0 {
		mem = o.memGB
	}
	var gpus []runner.GPU
	if o.gpus != nil {
		gpus = o.gpus(ctx)
	}
	host, _ := os.Hostname()
	r := &Runner{dir: stateDir, exe: exe, stores: stores, log: o.log, now: o.now, node: host,
		logLimit: o.logLimit, gitCache: o.gitCache,
		pool: newPool(cpu, mem, gpus), jobs: map[string]*job{}, watchers: map[*watcher]struct{}{},
		changed: make(chan struct{})}
	r.cgParent, r.noCgroup = detectCgroup(o.cgroupParent)
	r.ctx, r.stop = context.WithCancel(context.Background())
	if err := r.restore(); err != nil {
		r.stop()
		return nil, err
	}
	r.log.Info("local runner ready", "state", stateDir, "cpu", cpu, "memoryGiB", mem, "gpus", len(gpus),
		"jobs", len(r.jobs), "cgroup", cmp.Or(r.cgParent, "none: "+r.noCgroup))
	return r, nil
}

// Close stops watching the jobs. Their supervisors go on; a new Runner on
// the same state directory takes them over.
func (r *Runner) Close() error {
	r.stop()
	r.wg.Wait()
	return nil
}

// restore takes over the jobs of the state directory.
func (r *Runner) restore() error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("local runner: %w", err)
	}
	var queued []*job
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(r.dir, e.Name())
		j := &job{dir: dir}
		if err := readJSON(filepath.Join(dir, specFile), &j.rec); err != nil {
			r.log.Warn("job directory without a readable spec skipped", "dir", dir, "error", err)
			continue
		}
		r.seq = max(r.seq, j.rec.Seq)
		key := j.rec.Job.Spec.Key
		j.status = runner.Status{Key: key, Phase: runner.Queued}
		_ = readJSON(filepath.Join(dir, stateFile), &j.status)
		r.jobs[key] = j
		var ln launch
		switch {
		case j.status.Phase.Terminal():
			if j.rec.Upload && !exists(filepath.Join(dir, uploaded)) {
				r.watchJob(j) // it ended while we were away; upload, then report
			}
		case readJSON(filepath.Join(dir, launchFile), &ln) != nil:
			queued = append(queued, j)
		default:
			j.gpus, j.held = ln.GPUs, true
			r.pool.hold(j.rec.Job.Spec.Resources, ln.GPUs)
			r.watchJob(j)
		}
	}
	slices.SortFunc(queued, func(a, b *job) int { return cmp.Compare(a.rec.Seq, b.rec.Seq) })
	r.queue = queued
	r.admit()
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// LimitsEnforced is "" when jobs' memory and CPU limits are enforced by
// cgroups, else why not (for the server's start-up log and node views).
func (r *Runner) LimitsEnforced() string { return r.noCgroup }

// Package cluster is cluster management (reference §2.3 Cluster, Node and
// Resource): the nodes the administrator registers (partition, access level,
// tenants of a Private node), tenants' quotas, the resource views of what
// runs where, hourly resource samples and one history row per ended job.
//
// The database holds what the administrator decided; every change is
// applied to the runner (runner.Cluster): node settings as a whole after each
// node change, a tenant's quota after each quota change, tenants as they are
// created and deleted, and everything at start-up (retried in the background
// while the runner cannot take it).
package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Jobs stops jobs through the job service, so that their end is recorded
// (internal/job).
type Jobs interface {
	// ExitKey ends the job the runner knows as key with status.
	ExitKey(ctx context.Context, key, status string) error
}

// Service implements cluster management.
type Service struct {
	db     *store.DB
	runner runner.Runner
	jobs   Jobs

	now         func() time.Time
	log         *slog.Logger
	sampleEvery time.Duration // 0: no samples
	firstSample time.Duration
	retryFirst  time.Duration // first back-off of a failed sync
	retryMax    time.Duration

	resync chan struct{} // a sync is wanted
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithSampling sets how often the resource monitor takes a sample (0: never).
// The first sample is taken a minute after Start, as the original did, or
// after every when that is shorter.
func WithSampling(every time.Duration) Option {
	return func(s *Service) { s.sampleEvery, s.firstSample = every, min(time.Minute, every) }
}

// New returns the cluster service.
func New(db *store.DB, r runner.Runner, opts ...Option) *Service {
	s := &Service{db: db, runner: r, now: time.Now, log: slog.Default(), retryFirst: time.Second,
		retryMax: time.Minute, resync: make(chan struct{}, 1)}
	WithSampling(time.Hour)(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetJobs installs the job service, which is built after this one.
func (s *Service) SetJobs(j Jobs) { s.jobs = j }

// Start registers the runner's nodes on the very first start, applies the
// database to the runner, and starts the background work: retrying that
// sync while the runner fails, and the resource monitor. Close stops it.
func (s *Service) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	if err := s.startup(ctx); err != nil {
		s.log.Warn("cluster: the runner did not take the settings; retrying in the background", "error", err)
		s.wantSync()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.syncLoop(ctx)
	}()
	if s.sampleEvery > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.sampleLoop(ctx)
		}()
	}
}

// Close stops the background work and waits for it.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
}

func (s *Service) startup(ctx context.Context) error {
	if err := s.Seed(ctx); err != nil {
		return err
	}
	return s.Sync(ctx)
}

// wantSync asks the background loop for a full sync (after a failed apply).
func (s *Service) wantSync() {
	select {
	case s.resync <- struct{}{}:
	default:
	}
}

// syncLoop runs a full sync each time one is wanted, retrying with a
// doubling back-off until the runner takes it.
func (s *Service) syncLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.resync:
		}
		for wait := s.retryFirst; ; wait = min(2*wait, s.retryMax) {
			if !sleep(ctx, wait) {
				return
			}
			err := s.startup(ctx)
			if err == nil {
				s.log.Info("cluster: settings applied to the runner")
				break
			}
			s.log.Warn("cluster: the runner did not take the settings", "error", err, "retry_in", min(2*wait, s.retryMax))
		}
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Package app wires the server from its configuration: database, migrations,
// first-start seeding, domain services and the HTTP handler. The binary and
// the integration tests build the server through it, so both run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/api"
	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
	"github.com/kamonohashi-go/kamonohashi/internal/cluster"
	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/dataset"
	"github.com/kamonohashi-go/kamonohashi/internal/egress"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/registry"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/storage/endpoint"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/internal/version"
)

// App is a configured server.
type App struct {
	Config   config.Config
	DB       *store.DB
	Identity *identity.Service
	Data     *data.Service
	Datasets *dataset.Service
	Storages *endpoint.Pool
	API      *api.Server
	// Gits and Registries resolve a job's code and image.
	Gits       *gitrepo.Service
	Registries *registry.Service
	Jobs       *job.Service
	Runner     runner.Runner
	Cluster    *cluster.Service
	log        *slog.Logger

	serverURL   atomic.Value // string: how jobs reach the API (KQI_SERVER)
	stopWatch   context.CancelFunc
	watchDone   chan struct{}
	closeRunner func() error
}

// Option adjusts how the app is built (tests inject a clock or a database).
type Option func(*options)

type options struct {
	db        *store.DB
	now       func() time.Time
	runnerExe string
}

// WithRunnerBinary names the kamonohashi binary the local runner starts as
// each job's supervisor (default: this executable; tests build one).
func WithRunnerBinary(path string) Option { return func(o *options) { o.runnerExe = path } }

// WithDB uses an already opened database instead of the configured one.
func WithDB(db *store.DB) Option { return func(o *options) { o.db = db } }

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New opens the database, applies migrations and builds the services. The
// first admin is created with cfg.AdminPassword, or a random password that is
// logged once.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	db := o.db
	if db == nil {
		var err error
		if db, err = store.Open(ctx, cfg.DatabaseURL, cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if err := db.Migrate(ctx, log); err != nil {
		return nil, err
	}
	key, err := secret.LoadKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	egressPolicy, err := egress.ParsePolicy(cfg.WebhookNetworks)
	if err != nil {
		return nil, fmt.Errorf("webhook-allowed-networks: %w", err)
	}
	signKey := signingKey(key)
	def, err := defaultStorage(ctx, cfg, signKey, o.now)
	if err != nil {
		return nil, err
	}
	pool := endpoint.NewPool(db, box, def, signKey, log)
	id, err := identity.New(ctx, db, identity.WithClock(o.now), identity.WithLogger(log), identity.WithSecrets(box),
		identity.WithTokenLifetime(cfg.TokenLifetime), identity.WithLoginLimit(cfg.LoginMaxFails, cfg.LoginLockout),
		identity.WithHTTPClient(egressPolicy.Client(10*time.Second)), identity.WithTenantStorage(pool.EnsureTenant))
	if err != nil {
		return nil, err
	}
	generated, err := id.Bootstrap(ctx, cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	if generated != "" {
		// Printed once, on the first start only; set KAMONOHASHI_ADMIN_PASSWORD to choose it.
		log.Warn("generated the admin password; change it after logging in", "user", identity.AdminName, "password", generated)
	}
	proxies, err := cidr.Parse(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted-proxies: %w", err)
	}
	ensureTenants(ctx, db, pool, log)
	dataSvc := data.New(db, pool, data.WithClock(o.now), data.WithLogger(log), data.WithURLLifetime(cfg.URLLifetime),
		data.WithMaxUpload(int64(cfg.UploadMaxBytes)))
	datasets := dataset.New(db, dataSvc, dataset.WithClock(o.now))
	remote := remoteClient()
	gits := gitrepo.New(db, box, log, remote, gitrepo.WithClock(o.now))
	registries := registry.New(db, box, log, remote, registry.WithClock(o.now))
	a := &App{Config: cfg, DB: db, Identity: id, Data: dataSvc, Datasets: datasets, Storages: pool, log: log,
		Gits: gits, Registries: registries}
	a.serverURL.Store(cfg.ExternalURL)
	run, closeRunner, err := newRunner(ctx, cfg, pool, o.runnerExe, log, o.now)
	if err != nil {
		return nil, err
	}
	a.Runner, a.closeRunner = run, closeRunner
	a.Cluster = newCluster(db, run, cfg, log, o.now)
	a.Jobs = job.New(job.Deps{DB: db, Runner: run, Stores: tenantStores{pool}, Data: dataSvc, Datasets: datasets,
		Code: codeSource{gits}, Images: images{registries}, Accounts: id, Nodes: a.Cluster, History: a.Cluster},
		job.WithClock(o.now), job.WithLogger(log), job.WithVersion(version.Version), job.WithURLLifetime(cfg.URLLifetime),
		job.WithTokenLifetime(cfg.TokenLifetime), job.WithServerURL(func() string { return a.serverURL.Load().(string) }))
	id.SetJobCheck(a.Jobs.Active)
	a.startCluster(ctx, id)
	watchCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWatch, a.watchDone = stop, make(chan struct{})
	go func() {
		defer close(a.watchDone)
		if err := a.Jobs.Watch(watchCtx); err != nil && watchCtx.Err() == nil {
			log.Error("job watch stopped", "error", err)
		}
	}()
	a.API = api.New(id, log, version.Version, api.WithHealthCheck(db.PingContext), api.WithTrustedProxies(proxies),
		api.WithData(dataSvc, datasets, pool), api.WithExternalURL(cfg.ExternalURL),
		api.WithGit(gits), api.WithRegistry(registries), api.WithJobs(a.Jobs), api.WithCluster(a.Cluster))
	a.API.SetReady(true)
	return a, nil
}

// SetServerURL tells jobs where the API is (KQI_SERVER) when external-url
// is not set: the address the server listens on.
func (a *App) SetServerURL(u string) {
	if a.Config.ExternalURL == "" {
		a.serverURL.Store(u)
	}
}

// Close stops watching jobs and releases the runner and the database.
// Running jobs keep running: the next start takes them over.
func (a *App) Close() error {
	a.stopWatch()
	<-a.watchDone
	a.Cluster.Close()
	var err error
	if a.closeRunner != nil {
		err = a.closeRunner()
	}
	return errors.Join(err, a.DB.Close())
}

// Serve listens on cfg.Addr until ctx is cancelled, then shuts down
// gracefully, waiting up to cfg.ShutdownTimeout for requests in flight.
// ready, when not nil, receives the bound address once listening.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, ready func(addr string)) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	start := time.Now()
	// Listen first so that /healthz answers "starting" during migrations.
	starting := api.New(nil, log, version.Version)
	handler := &swapHandler{}
	handler.set(starting.Handler())
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		// Bounds slow request bodies; a handler that streams large bodies must
		// extend its own read deadline (http.ResponseController).
		ReadTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "version", version.Version)

	a, err := New(ctx, cfg, log)
	if err != nil {
		_ = hs.Close()
		return err
	}
	defer a.Close()
	a.SetServerURL("http://" + ln.Addr().String())
	handler.set(a.API.Handler())
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go a.RunBackground(bg)
	log.Info("ready", "addr", "http://"+ln.Addr().String(), "startup", time.Since(start).Round(time.Millisecond),
		"database", string(a.DB.Dialect), "data_dir", cfg.DataDir)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// NewLogger builds the slog logger the configuration asks for.
func NewLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	hopts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, hopts))
}

package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/cluster"
	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// newCluster builds cluster management on the runner; it is started once
// the job service exists (startCluster).
func newCluster(db *store.DB, run runner.Runner, cfg config.Config, log *slog.Logger, now func() time.Time) *cluster.Service {
	return cluster.New(db, run, cluster.WithClock(now), cluster.WithLogger(log), cluster.WithSampling(cfg.SampleInterval))
}

// startCluster connects cluster management with the job service and the
// tenants, registers the runner's nodes on the first start, applies the
// database to the runner and starts the resource monitor.
func (a *App) startCluster(ctx context.Context, id *identity.Service) {
	a.Cluster.SetJobs(a.Jobs)
	id.SetTenantHook(a.Cluster)
	a.Cluster.Start(ctx)
}

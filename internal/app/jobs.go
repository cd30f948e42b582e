package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/gpu"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/registry"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/storage/endpoint"
)

// codeSource resolves a job's code through the git endpoints, with the
// tenant's default endpoint when none is named.
type codeSource struct{ git *gitrepo.Service }

func (c codeSource) Resolve(ctx context.Context, gitID int64, owner, repo, branch, commit string) (job.Code, error) {
	if gitID == 0 {
		id, err := c.git.DefaultGitID(ctx)
		if err != nil {
			return job.Code{}, err
		}
		gitID = id
	}
	src, err := c.git.Source(ctx, gitID, owner, repo)
	if err != nil {
		return job.Code{}, err
	}
	full, err := c.git.ResolveCommit(ctx, src, branch, commit)
	if err != nil {
		return job.Code{}, err
	}
	return job.Code{GitID: gitID, URL: src.URL, User: src.User, Token: src.Token, Commit: full}, nil
}

// images resolves a job's image, with the tenant's default registry when
// none is named.
type images struct{ reg *registry.Service }

func (i images) ImageRef(ctx context.Context, registryID int64, image, tag string) (string, int64, error) {
	if registryID == 0 {
		id, err := i.reg.DefaultRegistryID(ctx)
		if err != nil {
			return "", 0, err
		}
		registryID = id
	}
	ref, err := i.reg.ImageRef(ctx, registryID, image, tag)
	return ref, registryID, err
}

func (i images) PullAuth(ctx context.Context, registryID int64) (*runner.RegistryAuth, error) {
	server, user, password, ok, err := i.reg.PullLogin(ctx, registryID)
	if err != nil || !ok {
		return nil, err
	}
	return &runner.RegistryAuth{Server: server, User: user, Password: password}, nil
}

// tenantStores resolves tenant names to their storage, for the runner.
type tenantStores struct{ pool *endpoint.Pool }

func (t tenantStores) ForTenant(ctx context.Context, tenant string) (storage.Store, error) {
	return t.pool.ForTenant(ctx, tenant)
}

// newRunner builds the configured runner. exe is the binary started as each
// job's supervisor: this one, or another in tests (which run inside a test
// binary that cannot supervise).
func newRunner(ctx context.Context, cfg config.Config, pool *endpoint.Pool, exe string, log *slog.Logger,
	now func() time.Time) (runner.Runner, func() error, error) {
	if cfg.Runner == "kubernetes" {
		return newKubeRunner(ctx, cfg, log, now)
	}
	dir := cfg.RunnerDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "jobs")
	}
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, nil, fmt.Errorf("runner: find our own binary: %w", err)
		}
	}
	r, err := local.New(ctx, dir, exe, pool.ForTenant, local.WithLogger(log), local.WithClock(now),
		local.WithCapacity(cfg.RunnerCPU, cfg.RunnerMemory),
		local.WithGPUs(func(ctx context.Context) []runner.GPU { return gpu.Discover(ctx, log, cfg.GPUs) }))
	if err != nil {
		return nil, nil, err
	}
	return r, r.Close, nil
}

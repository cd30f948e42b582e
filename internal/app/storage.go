package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/storage/endpoint"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// signingKey derives the key of the directory storage's signed URLs from
// the server's secret key, so that one secret serves both purposes without
// one revealing the other.
func signingKey(secretKey []byte) []byte {
	m := hmac.New(sha256.New, secretKey)
	m.Write([]byte("kamonohashi storage URL signing"))
	return m.Sum(nil)
}

// defaultStorage builds the configured storage (endpoint 1).
func defaultStorage(ctx context.Context, cfg config.Config, signKey []byte, now func() time.Time) (endpoint.Default, error) {
	if cfg.Storage == "s3" {
		st, err := storage.NewS3(ctx, storage.S3Config{Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
			PathStyle: cfg.S3PathStyle, PublicEndpoint: cfg.S3PublicURL, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey})
		if err != nil {
			return endpoint.Default{}, fmt.Errorf("s3 storage: %w", err)
		}
		return endpoint.Default{Store: st, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
			PathStyle: cfg.S3PathStyle}, nil
	}
	dir := cfg.StorageDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "storage")
	}
	st, err := storage.NewFS(dir, signKey, storage.WithClock(now))
	if err != nil {
		return endpoint.Default{}, fmt.Errorf("storage directory %s: %w", dir, err)
	}
	return endpoint.Default{Store: st, Directory: dir}, nil
}

// ensureTenants prepares every tenant's place on its storage, so that a
// tenant created before this version, or a storage reset by hand, works.
func ensureTenants(ctx context.Context, db *store.DB, pool *endpoint.Pool, log *slog.Logger) {
	ts, err := db.Q().ListTenants(ctx)
	if err != nil {
		log.Warn("list tenants for storage", "error", err)
		return
	}
	for _, t := range ts {
		if err := pool.EnsureTenant(ctx, t.StorageID, t.Name); err != nil {
			log.Warn("prepare tenant storage", "tenant", t.Name, "storage", t.StorageID, "error", err)
		}
	}
}

// cleanupEvery is how often abandoned uploads are looked for.
const cleanupEvery = time.Hour

// RunBackground runs the periodic work until ctx ends: removing uploads
// nobody registered and multipart uploads nobody completed.
func (a *App) RunBackground(ctx context.Context) {
	t := time.NewTicker(cleanupEvery)
	defer t.Stop()
	for {
		a.cleanup(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) cleanup(ctx context.Context) {
	n, err := a.Data.Cleanup(ctx, a.Storages.All(ctx))
	if err != nil && ctx.Err() == nil {
		a.log.Warn("upload clean-up", "error", err, "removed", n)
	} else if n > 0 {
		a.log.Info("upload clean-up", "removed", n)
	}
}

var _ data.Stores = (*endpoint.Pool)(nil)

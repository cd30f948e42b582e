package store_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// TestBackup: the snapshot is complete, owner-only and never half-written.
func TestBackup(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := ""
			var db *store.DB
			if engine == testenv.Postgres {
				url = testenv.PostgresURL(t)
				var err error
				if db, err = store.Open(ctx, url, ""); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
					t.Fatal(err)
				}
			} else {
				db = testenv.NewDB(t, engine)
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "kqi.backup")
			if err := db.Backup(ctx, out, url); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(out)
			if err != nil || info.Size() == 0 || info.Mode().Perm() != 0o600 {
				t.Fatalf("backup file: %v, size %d, mode %v", err, info.Size(), info.Mode().Perm())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("temporary files left beside the backup: %v", entries)
			}
			if engine == testenv.SQLite {
				restored, err := store.OpenSQLite(ctx, out)
				if err != nil {
					t.Fatal(err)
				}
				defer restored.Close()
				if _, err := restored.Q().TenantByName(ctx, "sandbox"); err != nil {
					t.Errorf("the snapshot lacks the seeded tenant: %v", err)
				}
			}
			if err := db.Backup(ctx, filepath.Join(dir, "missing-dir", "x"), url); err == nil {
				t.Error("backup into a missing directory succeeded")
			}
		})
	}
}

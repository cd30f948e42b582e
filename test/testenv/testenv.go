// Package testenv is the shared harness of the integration tests: which
// database engines to run against, a fresh migrated database per test, and
// a polling wait.
//
// PostgreSQL runs when KQI_TEST_POSTGRES_URL names a server whose role may
// create databases (scripts/test-postgres.sh start prints one); otherwise
// the tests run on SQLite only, unless KQI_TEST_REQUIRE_POSTGRES=1 says
// that skipping PostgreSQL is a failure (as `make test` does).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Environment variables read by the harness.
const (
	PostgresURLEnv     = "KQI_TEST_POSTGRES_URL"
	RequirePostgresEnv = "KQI_TEST_REQUIRE_POSTGRES"
)

// Engine names accepted by NewDB.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Engines lists the engines this run tests against: SQLite always, and
// PostgreSQL when KQI_TEST_POSTGRES_URL is set.
func Engines(t *testing.T) []string {
	t.Helper()
	if os.Getenv(PostgresURLEnv) != "" {
		return []string{SQLite, Postgres}
	}
	if os.Getenv(RequirePostgresEnv) == "1" {
		t.Fatalf("%s=1 but %s is not set: start a server with "+
			"`export %s=$(scripts/test-postgres.sh start)` or unset %s to test on SQLite only",
			RequirePostgresEnv, PostgresURLEnv, PostgresURLEnv, RequirePostgresEnv)
	}
	return []string{SQLite}
}

// NewDB returns a migrated, empty (seeded) database of the engine that is
// closed, and for PostgreSQL dropped, when the test ends.
func NewDB(t *testing.T, engine string) *store.DB {
	t.Helper()
	ctx := context.Background()
	var db *store.DB
	switch engine {
	case SQLite:
		var err error
		db, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kqi.db"))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
	case Postgres:
		db = newPostgres(t, ctx)
	default:
		t.Fatalf("unknown engine %q: use %q or %q", engine, SQLite, Postgres)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := db.Migrate(ctx, log); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

func newPostgres(t *testing.T, ctx context.Context) *store.DB {
	t.Helper()
	url := PostgresURL(t)
	db, err := store.Open(ctx, url, "")
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// PostgresURL creates an empty database on the KQI_TEST_POSTGRES_URL server
// and returns its URL; the database is dropped when the test ends. Tests
// that start the binary against PostgreSQL use it; others use NewDB.
func PostgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Fatalf("engine %q needs %s; run the test through testenv.Engines", Postgres, PostgresURLEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresURLEnv, err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "kqi_test_" + hex.EncodeToString(b)

	// The name is ours (letters, digits, underscore), so it needs no quoting.
	if err := adminExec(context.Background(), base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the server's own database in a
// short-lived connection, so tests hold no connection to it in between.
func adminExec(ctx context.Context, url, stmt string) error {
	db, err := store.Open(ctx, url, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// Eventually polls cond every 20ms until it holds, and fails the test with
// msg when it still does not after timeout.
func Eventually(t *testing.T, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("not true after %v: %s", timeout, msg)
		}
		<-tick.C
	}
}

// Package store is the database of record: one set of versioned migrations
// and the queries of every domain, served by SQLite (embedded default) and
// PostgreSQL (clusters).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB wraps the connection pool with its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	stmts   *stmtCache // SQLite only: pgx caches prepared statements itself
	// writes (SQLite only) queues write transactions here, in order, rather
	// than in SQLite's busy handler, which sleeps in growing steps and made
	// bursts of job submissions wait far longer than their work.
	writes *sync.Mutex
}

// SQLiteFile is the database file name inside the data directory.
const SQLiteFile = "kamonohashi.db"

// Open connects to PostgreSQL when url is set, otherwise to the SQLite file
// in dataDir (created if missing).
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	if url != "" {
		db, err := sqlx.ConnectContext(ctx, "pgx", url)
		if err != nil {
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20) // the default 2 would reconnect under any concurrency
		return &DB{DB: db, Dialect: Postgres}, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return OpenSQLite(ctx, filepath.Join(dataDir, SQLiteFile))
}

// OpenSQLite opens (creating if needed) the SQLite database at path.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	// The file holds password hashes and the token secret: owner-only from
	// the start (SQLite gives its -wal and -shm files the same mode).
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create sqlite %s: %w", path, err)
	}
	f.Close()
	// WAL lets readers proceed during a write; busy_timeout makes concurrent
	// writers wait instead of failing; foreign keys are off by default in SQLite.
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_time_format=sqlite&_txlock=immediate"
	db, err := sqlx.ConnectContext(ctx, "sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Each new connection re-runs the pragmas and re-prepares its
	// statements: keep them rather than the default 2 idle ones.
	db.SetMaxIdleConns(32)
	return &DB{DB: db, Dialect: SQLite, stmts: newStmtCache(db), writes: &sync.Mutex{}}, nil
}

// Close closes the cached statements and the pool.
func (db *DB) Close() error {
	db.stmts.close()
	return db.DB.Close()
}

// Queryer is what query helpers need: the pool or a transaction.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// InTx runs fn in a transaction and commits when fn returns nil, so that a
// multi-row change is either whole or absent. On PostgreSQL a transaction
// chosen as a deadlock victim or failing serialization is run again (fn
// must therefore only touch the database and its own results).
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for try := 1; ; try++ {
		err := db.inTxOnce(ctx, fn)
		if try < maxTxTries && retryable(err) {
			continue
		}
		return err
	}
}

const maxTxTries = 3

func (db *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) error {
	if db.writes != nil {
		db.writes.Lock()
		defer db.writes.Unlock()
	}
	stx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{Tx: stx, dialect: db.Dialect}); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// retryable reports PostgreSQL's serialization failure and deadlock victim.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// Tx is a transaction that knows its dialect.
type Tx struct {
	*sqlx.Tx
	dialect Dialect
}

// Q is the shared query surface of DB and Tx: it rebinds the `?`
// placeholders for PostgreSQL and maps driver errors to domain errors.
type Q struct {
	x       Queryer
	dialect Dialect
	stmts   *stmtCache // nil inside transactions
}

func (db *DB) Q() Q { return Q{x: db.DB, dialect: db.Dialect, stmts: db.stmts} }
func (tx *Tx) Q() Q { return Q{x: tx.Tx, dialect: tx.dialect} }

func (q Q) rebind(query string) string {
	if q.dialect == Postgres {
		return sqlx.Rebind(sqlx.DOLLAR, query)
	}
	return query
}

func (q Q) get(ctx context.Context, dest any, query string, args ...any) error {
	if st := q.stmts.get(ctx, query); st != nil {
		return mapErr(st.GetContext(ctx, dest, args...))
	}
	return mapErr(q.x.GetContext(ctx, dest, q.rebind(query), args...))
}

func (q Q) list(ctx context.Context, dest any, query string, args ...any) error {
	if st := q.stmts.get(ctx, query); st != nil {
		return mapErr(st.SelectContext(ctx, dest, args...))
	}
	return mapErr(q.x.SelectContext(ctx, dest, q.rebind(query), args...))
}

func (q Q) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.x.ExecContext(ctx, q.rebind(query), args...)
	if err != nil {
		return 0, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// insert runs an INSERT … RETURNING id and returns the new id.
func (q Q) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := q.x.QueryRowxContext(ctx, q.rebind(query+" RETURNING id"), args...).Scan(&id)
	return id, mapErr(err)
}

// ErrNoRows is returned by single-row lookups that find nothing; domain code
// turns it into a NotFound naming the resource.
var ErrNoRows = sql.ErrNoRows

// ErrUnique reports a unique-constraint violation.
var ErrUnique = apperr.Conflict("already exists")

// ErrForeignKey reports a row still referenced elsewhere or a reference to a
// row that does not exist.
var ErrForeignKey = apperr.Conflict("still in use or refers to a missing record")

func mapErr(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return ErrUnique.Wrap(err)
		case "23503":
			return ErrForeignKey.Wrap(err)
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return ErrUnique.Wrap(err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return ErrForeignKey.Wrap(err)
		}
	}
	return err
}

// IsUnique reports whether err is a unique-constraint violation.
func IsUnique(err error) bool {
	e, ok := apperr.As(err)
	return ok && strings.HasPrefix(e.Title, ErrUnique.Title) && e.Kind == apperr.KindConflict
}

package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
)

// Backup writes a consistent snapshot of the database to path while the
// server keeps running. SQLite: VACUUM INTO (a compact copy of one
// transaction's view). PostgreSQL: pg_dump in its custom format, for
// pg_restore. The snapshot is written inside an owner-only temporary
// directory beside path and renamed, so path never holds a partial backup
// and nobody else can read the copy of the password hashes while it grows.
func (db *DB) Backup(ctx context.Context, path, databaseURL string) error {
	work, err := os.MkdirTemp(filepath.Dir(path), ".kamonohashi-backup-*") // mode 0700
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)
	tmp := filepath.Join(work, "snapshot")
	switch db.Dialect {
	case SQLite:
		if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
			return fmt.Errorf("backup sqlite: %w", err)
		}
	case Postgres:
		if err := pgDump(ctx, tmp, databaseURL); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// pgDump runs pg_dump with the password in its environment, not on its
// command line, where any local user could read it from the process list.
func pgDump(ctx context.Context, file, databaseURL string) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backup: pg_dump is not installed (Debian package postgresql-client)")
	}
	dbname, pw, err := splitPassword(databaseURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+file, "--dbname="+dbname)
	cmd.Env = os.Environ()
	if pw != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pw)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("backup postgres: %w: %s", err, out)
	}
	return nil
}

// splitPassword returns the URL without its password (from the user info
// or a password= parameter), and the password.
func splitPassword(databaseURL string) (string, string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", errors.New("backup: the database URL must be a postgres:// URL")
	}
	pw, ok := u.User.Password()
	if ok {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		pw = q.Get("password")
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String(), pw, nil
}

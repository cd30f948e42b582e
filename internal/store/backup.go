package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Backup writes a consistent snapshot of the database to path while the
// server keeps running. SQLite: VACUUM INTO (a compact copy of one
// transaction's view). PostgreSQL: pg_dump in its custom format, for
// pg_restore. The snapshot is written under a temporary name and renamed,
// so path never holds a partial backup.
func (db *DB) Backup(ctx context.Context, path, databaseURL string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // no-op after the rename
	switch db.Dialect {
	case SQLite:
		// VACUUM INTO refuses an existing file.
		if err := os.Remove(tmpName); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
			return fmt.Errorf("backup sqlite: %w", err)
		}
	case Postgres:
		bin, err := exec.LookPath("pg_dump")
		if err != nil {
			return errors.New("backup: pg_dump is not installed (Debian package postgresql-client)")
		}
		cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+tmpName, "--dbname="+databaseURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("backup postgres: %w: %s", err, out)
		}
	}
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return err
	}
	return os.Rename(tmpName, path)
}

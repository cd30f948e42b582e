package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func TestStmtCacheReusesAndBounds(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := db.Q()
	var n int
	for range 3 {
		if err := q.get(ctx, &n, `SELECT 1`); err != nil || n != 1 {
			t.Fatalf("SELECT 1 = %d, %v", n, err)
		}
	}
	if got := len(db.stmts.m); got != 1 {
		t.Errorf("one query text cached %d statements, want 1", got)
	}
	for i := range maxCachedStmts + 10 {
		if err := q.get(ctx, &n, fmt.Sprintf(`SELECT %d`, i)); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	if got := len(db.stmts.m); got != maxCachedStmts {
		t.Errorf("cache holds %d statements, want the bound %d", got, maxCachedStmts)
	}
	// A query that cannot be prepared is not cached and reports its error.
	if err := q.get(ctx, &n, `SELECT FROM nowhere`); err == nil {
		t.Error("broken query succeeded")
	}
	// Transactions do not use the cache.
	if err := db.InTx(ctx, func(tx *Tx) error {
		if tx.Q().stmts != nil {
			t.Error("a transaction's queries go through the pool's statement cache")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

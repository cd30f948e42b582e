// Package inuse keeps administrators from deleting an endpoint (a git
// server, a registry) that something still refers to: each referring table
// contributes a Check, and the delete runs them in its transaction.
package inuse

import (
	"context"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Check reports the names of what still uses endpoint id; a non-empty
// answer blocks its deletion.
type Check struct {
	What  string // "tenant", "training", … for the message
	Query func(ctx context.Context, q store.Q, id int64) ([]string, error)
}

// Refuse runs checks in order and returns a Conflict naming the users the
// first one finds ("git 3 (lab) is used by tenant a, b"), or nil.
func Refuse(ctx context.Context, q store.Q, checks []Check, id int64, label string) error {
	for _, c := range checks {
		names, err := c.Query(ctx, q, id)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return apperr.Conflict("%s is used by %s %s", label, c.What, strings.Join(names, ", ")).
				WithDetail("remove it from those first")
		}
	}
	return nil
}

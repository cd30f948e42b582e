package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// seededBy is the audit name of the nodes registered on the first start.
const seededBy = "system"

// Seed registers, on the very first start only, every node the runner
// reports as Public with notebooks and TensorBoard allowed, so that a fresh
// single-machine install runs jobs at once (the original seeded its
// GpuNodes the same way). It is recorded as done, so deleting every node
// later does not bring them back; a runner that cannot report its nodes
// leaves it to be done on the next try.
func (s *Service) Seed(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		first, err := q.ClaimNodeSeeding(ctx)
		if err != nil || !first {
			return err
		}
		nodes, err := s.runner.Nodes(ctx)
		if err != nil {
			return fmt.Errorf("register the runner's nodes: %w", err)
		}
		have, err := q.Nodes(ctx)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, n := range have {
			names[n.Name] = true
		}
		for _, n := range nodes {
			if names[n.Name] || n.Name == "" {
				continue
			}
			names[n.Name] = true
			row := store.Node{Name: n.Name, Partition: n.Partition, AccessLevel: int(runner.Public),
				NotebookEnabled: true, TensorBoardEnabled: true}
			if _, err := q.InsertNode(ctx, row, seededBy, s.now()); err != nil {
				return err
			}
			s.log.Info("cluster: registered the runner's node", "node", n.Name, "access", "Public")
		}
		return nil
	})
}

// Sync applies the whole database to the runner: every node setting and
// every tenant with its quota (POST /admin/nodes/sync-cluster-from-db and
// the start-up sync, the original's SyncClusterFromDBTimer).
func (s *Service) Sync(ctx context.Context) error {
	if err := s.ApplyNodes(ctx); err != nil {
		return err
	}
	ts, err := s.db.Q().ListTenants(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if err := s.runner.ApplyTenant(ctx, tenantSetting(t)); err != nil {
			errs = append(errs, fmt.Errorf("apply tenant %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// tenantSetting is a tenant as the runner needs it: 0 = unlimited.
func tenantSetting(t store.Tenant) runner.TenantSetting {
	return runner.TenantSetting{Name: t.Name, Quota: runner.Resources{CPU: int(t.LimitCPU.Int64),
		MemoryGB: int(t.LimitMemory.Int64), GPU: int(t.LimitGPU.Int64)}}
}

// TenantCreated gives a new tenant its place in the runner.
func (s *Service) TenantCreated(ctx context.Context, name string) {
	t, err := s.db.Q().TenantByName(ctx, name)
	if err == nil {
		err = s.runner.ApplyTenant(ctx, tenantSetting(t))
	}
	if err != nil {
		s.log.Warn("cluster: the runner did not take the new tenant; retrying in the background", "tenant", name, "error", err)
		s.wantSync()
	}
}

// TenantDeleted removes a deleted tenant from the runner. Its nodes'
// assignments went with it, so the node settings are applied again.
func (s *Service) TenantDeleted(ctx context.Context, name string) {
	if err := s.runner.RemoveTenant(ctx, name); err != nil {
		s.log.Warn("cluster: the runner could not remove the tenant", "tenant", name, "error", err)
	}
	s.applyNodes(ctx)
}

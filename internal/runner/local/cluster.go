package local

import (
	"context"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// ApplyNodes keeps this machine's setting: its partition names the node in
// Nodes. The job service decides from the same settings which tenants may
// use it, as node affinity does on Kubernetes.
func (r *Runner) ApplyNodes(_ context.Context, nodes []runner.NodeSetting) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partition = ""
	for _, n := range nodes {
		if n.Name == r.node {
			r.partition = n.Partition
		}
	}
	return nil
}

// ApplyTenant has nothing to create on one machine: quotas are checked by
// the job service on submit.
func (r *Runner) ApplyTenant(context.Context, runner.TenantSetting) error { return nil }

// RemoveTenant has nothing to remove on one machine.
func (r *Runner) RemoveTenant(context.Context, string) error { return nil }

// Allocations lists the jobs not yet ended, queued ones without a node.
func (r *Runner) Allocations(context.Context) ([]runner.Allocation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runner.Allocation, 0, len(r.jobs))
	for _, j := range r.jobs {
		if j.status.Phase.Terminal() {
			continue
		}
		s := j.rec.Job.Spec
		a := runner.Allocation{Key: s.Key, Tenant: s.Tenant, Kind: s.Kind, ID: s.ID, User: s.User,
			Resources: s.Resources, Phase: j.status.Phase, Reason: j.status.Reason,
			Created: j.rec.Submitted, Started: j.status.Started}
		if j.held {
			a.Node = r.node
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b runner.Allocation) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

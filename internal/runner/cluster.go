package runner

import (
	"context"
	"time"
)

// Access is who may run jobs on a node (reference §2.3 Node).
type Access int

// The original's access levels.
const (
	Disabled Access = 0 // no jobs
	Private  Access = 1 // only the tenants listed in NodeSetting.Tenants
	Public   Access = 2 // every tenant
)

// NodeSetting is what the administrator decided about one node. The
// Kubernetes runner applies it as node labels that jobs' node affinity
// selects on; the local runner keeps it in memory.
type NodeSetting struct {
	Name        string   `json:"name"`
	Partition   string   `json:"partition,omitempty"`
	Access      Access   `json:"access"`
	Tenants     []string `json:"tenants,omitempty"` // tenant names, for Private
	Notebook    bool     `json:"notebook"`
	TensorBoard bool     `json:"tensorBoard"`
}

// Allows reports whether tenant may run jobs on the node.
func (n NodeSetting) Allows(tenant string) bool {
	switch n.Access {
	case Public:
		return true
	case Private:
		for _, t := range n.Tenants {
			if t == tenant {
				return true
			}
		}
	}
	return false
}

// TenantSetting is a tenant as the runner needs to know it: its name and
// quota (0 in a field = unlimited). The Kubernetes runner mirrors it as a
// namespace, a role binding and a ResourceQuota.
type TenantSetting struct {
	Name  string    `json:"name"`
	Quota Resources `json:"quota"`
}

// Allocation is a job that holds, or waits for, resources: one row of the
// resource views by node, by tenant and by container.
type Allocation struct {
	Key       string    `json:"key"`
	Tenant    string    `json:"tenant"`
	Kind      Kind      `json:"kind"`
	ID        int64     `json:"id"`
	User      string    `json:"user,omitempty"`
	Node      string    `json:"node,omitempty"` // empty while not placed
	Resources Resources `json:"resources"`
	Phase     Phase     `json:"phase"`
	Reason    string    `json:"reason,omitempty"`
	Created   time.Time `json:"created"`
	Started   time.Time `json:"started,omitzero"`
}

// Cluster is the part of a runner the cluster management uses: settings
// flow down to the engine, allocations flow up to the resource views.
// Both runners implement it.
type Cluster interface {
	// ApplyNodes replaces the node settings with these, for every node
	// (a node without a setting takes no jobs).
	ApplyNodes(ctx context.Context, nodes []NodeSetting) error
	// ApplyTenant creates or updates a tenant's place in the engine.
	ApplyTenant(ctx context.Context, t TenantSetting) error
	// RemoveTenant deletes what ApplyTenant created.
	RemoveTenant(ctx context.Context, name string) error
	// Allocations lists the jobs that are not yet terminal.
	Allocations(ctx context.Context) ([]Allocation, error)
}

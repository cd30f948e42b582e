package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// EnumInfo is one value of an enum, as the original lists them.
type EnumInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

var accessNames = map[runner.Access]string{runner.Disabled: "Disabled", runner.Private: "Private", runner.Public: "Public"}

// AccessLevels lists the node access levels (GET /admin/node-access-levels).
func AccessLevels() []EnumInfo {
	return []EnumInfo{{0, accessNames[0]}, {1, accessNames[1]}, {2, accessNames[2]}}
}

// NodeInput is the body of node create and edit (NodeApiModels.CreateInputModel).
type NodeInput struct {
	Name               string  `json:"name"`
	Memo               string  `json:"memo,omitempty"`
	Partition          string  `json:"partition,omitempty"`
	AccessLevel        *int    `json:"accessLevel"`
	AssignedTenantIDs  []int64 `json:"assignedTenantIds,omitempty"`
	TensorBoardEnabled bool    `json:"tensorBoardEnabled"`
	NotebookEnabled    bool    `json:"notebookEnabled"`
}

// NodeView is a node in lists (NodeApiModels.IndexOutputModel).
type NodeView struct {
	audit.View
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	Memo               string `json:"memo"`
	Partition          string `json:"partition"`
	AccessLevel        int    `json:"accessLevel"`
	AccessLevelStr     string `json:"accessLevelStr"`
	TensorBoardEnabled bool   `json:"tensorBoardEnabled"`
	NotebookEnabled    bool   `json:"notebookEnabled"`
}

// NodeDetails adds the tenants of a Private node (NodeApiModels.DetailsOutputModel).
type NodeDetails struct {
	NodeView
	AssignedTenants []AssignedTenant `json:"assignedTenants"`
}

// AssignedTenant is a tenant a Private node is assigned to.
type AssignedTenant struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

func nodeView(n store.Node) NodeView {
	return NodeView{View: audit.Of(n.Audit), ID: n.ID, Name: n.Name, Memo: n.Memo, Partition: n.Partition,
		AccessLevel: n.AccessLevel, AccessLevelStr: accessNames[runner.Access(n.AccessLevel)],
		TensorBoardEnabled: n.TensorBoardEnabled, NotebookEnabled: n.NotebookEnabled}
}

// Nodes lists the registered nodes.
func (s *Service) Nodes(ctx context.Context) ([]NodeView, error) {
	ns, err := s.db.Q().Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NodeView, 0, len(ns))
	for _, n := range ns {
		out = append(out, nodeView(n))
	}
	return out, nil
}

// Node returns one node with its assigned tenants.
func (s *Service) Node(ctx context.Context, id int64) (NodeDetails, error) {
	q := s.db.Q()
	n, err := q.NodeByID(ctx, id)
	if err != nil {
		return NodeDetails{}, nodeNotFound(err, id)
	}
	maps, err := q.NodeTenants(ctx)
	if err != nil {
		return NodeDetails{}, err
	}
	out := NodeDetails{NodeView: nodeView(n), AssignedTenants: []AssignedTenant{}}
	for _, m := range maps {
		if m.NodeID == id {
			out.AssignedTenants = append(out.AssignedTenants, AssignedTenant{ID: m.TenantID, Name: m.Name, DisplayName: m.DisplayName})
		}
	}
	return out, nil
}

func nodeNotFound(err error, id int64) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("node %d is not found", id)
	}
	return err
}

// checkNode validates an input and returns the row it describes and the
// tenants it is assigned to (only a Private node keeps them).
func checkNode(ctx context.Context, q store.Q, in NodeInput, checkName bool) (store.Node, []int64, error) {
	in.Name, in.Partition = strings.TrimSpace(in.Name), strings.TrimSpace(in.Partition)
	if checkName {
		if err := CheckNodeName(in.Name); err != nil {
			return store.Node{}, nil, err
		}
	}
	if err := CheckPartition(in.Partition); err != nil {
		return store.Node{}, nil, err
	}
	if in.AccessLevel == nil {
		return store.Node{}, nil, apperr.Invalid("accessLevel is required").WithDetail("0 Disabled, 1 Private or 2 Public")
	}
	level := runner.Access(*in.AccessLevel)
	if _, ok := accessNames[level]; !ok {
		return store.Node{}, nil, apperr.Invalid("accessLevel %d is not valid", *in.AccessLevel).WithDetail("0 Disabled, 1 Private or 2 Public")
	}
	var tenants []int64
	if level == runner.Private {
		for _, id := range in.AssignedTenantIDs {
			if slices.Contains(tenants, id) {
				continue
			}
			if _, err := q.TenantByID(ctx, id); errors.Is(err, store.ErrNoRows) {
				return store.Node{}, nil, apperr.NotFound("tenant %d is not found", id).WithDetail("assignedTenantIds names tenants that exist")
			} else if err != nil {
				return store.Node{}, nil, err
			}
			tenants = append(tenants, id)
		}
	}
	return store.Node{Name: in.Name, Memo: in.Memo, Partition: in.Partition, AccessLevel: int(level),
		TensorBoardEnabled: in.TensorBoardEnabled, NotebookEnabled: in.NotebookEnabled}, tenants, nil
}

// CreateNode registers a node and applies the node settings to the runner.
func (s *Service) CreateNode(ctx context.Context, in NodeInput) (NodeView, error) {
	return s.saveNode(ctx, 0, in)
}

// EditNode changes a node and applies the node settings to the runner.
func (s *Service) EditNode(ctx context.Context, id int64, in NodeInput) (NodeView, error) {
	return s.saveNode(ctx, id, in)
}

// saveNode creates (id 0) or edits a node with its tenants in one
// transaction, then applies the node settings to the runner.
func (s *Service) saveNode(ctx context.Context, id int64, in NodeInput) (NodeView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return NodeView{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		checkName := true
		if id != 0 {
			old, err := q.NodeByID(ctx, id)
			if err != nil {
				return nodeNotFound(err, id)
			}
			// A name the runner reported at the first start stays
			// editable even when it is not a valid Kubernetes name.
			checkName = strings.TrimSpace(in.Name) != old.Name
		}
		n, tenants, err := checkNode(ctx, q, in, checkName)
		if err != nil {
			return err
		}
		if id == 0 {
			id, err = q.InsertNode(ctx, n, p.UserName, s.now())
		} else {
			n.ID = id
			err = q.UpdateNode(ctx, n, p.UserName, s.now())
		}
		if store.IsUnique(err) {
			return apperr.Conflict("node %s is already registered", n.Name)
		} else if err != nil {
			return err
		}
		return q.SetNodeTenants(ctx, id, tenants)
	})
	if err != nil {
		return NodeView{}, err
	}
	s.applyNodes(ctx)
	n, err := s.db.Q().NodeByID(ctx, id)
	if err != nil {
		return NodeView{}, nodeNotFound(err, id)
	}
	return nodeView(n), nil
}

// DeleteNode removes a node on which no job runs (409 otherwise) and
// applies the node settings to the runner.
func (s *Service) DeleteNode(ctx context.Context, id int64) error {
	q := s.db.Q()
	n, err := q.NodeByID(ctx, id)
	if err != nil {
		return nodeNotFound(err, id)
	}
	allocs, err := s.runner.Allocations(ctx)
	if err != nil {
		return apperr.Unavailable("the runner cannot tell which jobs run on node %s", n.Name).WithDetail("%v", err)
	}
	var running []string
	for _, a := range allocs {
		if a.Node == n.Name {
			running = append(running, a.Key)
		}
	}
	if len(running) > 0 {
		return apperr.Conflict("node %s runs %d jobs", n.Name, len(running)).
			WithDetail("stop %s first (Cluster resources), then delete the node", strings.Join(running, ", "))
	}
	if err := q.DeleteNode(ctx, id); err != nil {
		return nodeNotFound(err, id)
	}
	s.applyNodes(ctx)
	return nil
}

// applyNodes gives the runner every node setting. The change is already
// recorded, so a runner that fails is retried in the background.
func (s *Service) applyNodes(ctx context.Context) {
	if err := s.ApplyNodes(ctx); err != nil {
		s.log.Warn("cluster: the runner did not take the node settings; retrying in the background", "error", err)
		s.wantSync()
	}
}

// ApplyNodes gives the runner every node setting of the database.
func (s *Service) ApplyNodes(ctx context.Context) error {
	settings, err := s.NodeSettings(ctx)
	if err != nil {
		return err
	}
	if err := s.runner.ApplyNodes(ctx, settings); err != nil {
		return fmt.Errorf("apply node settings: %w", err)
	}
	return nil
}

// NodeSettings returns every node as the runner and the job service need it.
func (s *Service) NodeSettings(ctx context.Context) ([]runner.NodeSetting, error) {
	_, settings, err := s.nodeSettings(ctx)
	return settings, err
}

// nodeSettings returns the node rows and their settings, in the same order.
func (s *Service) nodeSettings(ctx context.Context) ([]store.Node, []runner.NodeSetting, error) {
	q := s.db.Q()
	ns, err := q.Nodes(ctx)
	if err != nil {
		return nil, nil, err
	}
	maps, err := q.NodeTenants(ctx)
	if err != nil {
		return nil, nil, err
	}
	tenants := map[int64][]string{}
	for _, m := range maps {
		tenants[m.NodeID] = append(tenants[m.NodeID], m.Name)
	}
	out := make([]runner.NodeSetting, 0, len(ns))
	for _, n := range ns {
		out = append(out, settingOf(n, tenants[n.ID]))
	}
	return ns, out, nil
}

// settingOf maps a node row and the names of its tenants to the runner's
// setting; only a Private node names tenants.
func settingOf(n store.Node, tenants []string) runner.NodeSetting {
	set := runner.NodeSetting{Name: n.Name, Partition: n.Partition, Access: runner.Access(n.AccessLevel),
		Notebook: n.NotebookEnabled, TensorBoard: n.TensorBoardEnabled}
	if set.Access == runner.Private {
		set.Tenants = slices.Sorted(slices.Values(tenants))
	}
	return set
}

// Partitions lists the partitions of every node (GET /admin/partitions), or
// with a tenant only of the nodes it may use (GET /tenant/partitions).
func (s *Service) Partitions(ctx context.Context, tenant string) ([]string, error) {
	settings, err := s.NodeSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, n := range settings {
		if n.Partition != "" && (tenant == "" || n.Allows(tenant)) && !slices.Contains(out, n.Partition) {
			out = append(out, n.Partition)
		}
	}
	slices.SortFunc(out, cmp.Compare)
	return out, nil
}

package cluster

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Unassigned names the row of the jobs no node holds yet, as the original.
const Unassigned = "Unassigned"

// The container types of the original (Infrastructure.Types.ContainerType).
var containerTypes = []string{"Unknown", "Training", "TensorBoard", "Preprocessing", "Notebook", "Inference", "Evaluation"}

var kindTypes = map[runner.Kind]int{runner.Training: 1, runner.TensorBoard: 2, runner.Preprocessing: 3,
	runner.Notebook: 4, runner.Inference: 5}

// ContainerTypes lists the container type enum (GET /admin/resource/container-types).
func ContainerTypes() []EnumInfo {
	out := make([]EnumInfo, len(containerTypes))
	for i, n := range containerTypes {
		out[i] = EnumInfo{ID: i, Name: n}
	}
	return out
}

// ContainerView is a job that holds or waits for resources
// (ResourceApiModels.ContainerDetailsOutputModel; the tenant's screens get
// the same fields). Name is the runner's key, e.g. "training-12".
type ContainerView struct {
	Name          string    `json:"name"`
	CreatedBy     string    `json:"createdBy"`
	ContainerType int       `json:"containerType"`
	ConditionNote string    `json:"conditionNote"`
	CPU           float64   `json:"cpu"`
	Memory        float64   `json:"memory"`
	GPU           int       `json:"gpu"`
	StatusType    string    `json:"statusType"`
	Status        string    `json:"status"`
	NodeName      string    `json:"nodeName"`
	TenantID      int64     `json:"tenantId"`
	TenantName    string    `json:"tenantName"`
	DisplayName   string    `json:"displayName"` // the tenant's
	JobID         int64     `json:"jobId"`       // new: the job's id in its area
	CreatedAt     time.Time `json:"createdAt"`   // new: when it was submitted
	StartedAt     time.Time `json:"startedAt,omitzero"`
}

// NodeResource is a node with what it has and what jobs hold
// (ResourceApiModels.NodeResourceOutputModel; GET /tenant/nodes gives the
// fields of ClusterApiModels.NodeResourceOutputModel and more).
type NodeResource struct {
	Name               string `json:"name"`
	Memo               string `json:"memo"`
	Partition          string `json:"partition"`
	AccessLevel        int    `json:"accessLevel"`
	TensorBoardEnabled bool   `json:"tensorBoardEnabled"`
	NotebookEnabled    bool   `json:"notebookEnabled"`
	Registered         bool   `json:"registered"` // new: false for a node the administrator has not registered
	Usage
	Containers []ContainerView `json:"containerResourceList"`
}

// Usage is what a node or a tenant may hold (allocatable; for a tenant its
// quota, 0 = unlimited) and what its jobs hold (assigned), and both as
// "assigned / allocatable" for people.
type Usage struct {
	AllocatableCPU    float64 `json:"allocatableCpu"`
	AllocatableMemory float64 `json:"allocatableMemory"`
	AllocatableGPU    float64 `json:"allocatableGpu"`
	AssignedCPU       float64 `json:"assignedCpu"`
	AssignedMemory    float64 `json:"assignedMemory"`
	AssignedGPU       float64 `json:"assignedGpu"`
	CPUInfo           string  `json:"cpuInfo"`
	MemoryInfo        string  `json:"memoryInfo"`
	GPUInfo           string  `json:"gpuInfo"`
}

func allocatable(r runner.Resources) Usage {
	return Usage{AllocatableCPU: float64(r.CPU), AllocatableMemory: float64(r.MemoryGB), AllocatableGPU: float64(r.GPU)}
}

// assign adds what a job holds.
func (u *Usage) assign(r runner.Resources) {
	u.AssignedCPU += float64(r.CPU)
	u.AssignedMemory += float64(r.MemoryGB)
	u.AssignedGPU += float64(r.GPU)
}

// describe fills the Info texts.
func (u *Usage) describe() {
	u.CPUInfo = info(u.AssignedCPU, u.AllocatableCPU)
	u.MemoryInfo = info(u.AssignedMemory, u.AllocatableMemory)
	u.GPUInfo = info(u.AssignedGPU, u.AllocatableGPU)
}

// TenantResource is a tenant's quota and what its jobs hold
// (ResourceApiModels.TenantResourceOutputModel); allocatable is the quota,
// 0 = unlimited.
type TenantResource struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Usage
	Containers []ContainerView `json:"containerResourceList"`
}

// snapshot is what the runner reports now, with the tenants to name.
type snapshot struct {
	nodes    []runner.Node
	allocs   []runner.Allocation
	tenants  map[string]store.Tenant
	settings map[string]runner.NodeSetting
	rows     map[string]store.Node
}

func (s *Service) snapshot(ctx context.Context) (snapshot, error) {
	var sn snapshot
	var err error
	if sn.nodes, err = s.runner.Nodes(ctx); err != nil {
		return sn, apperr.Unavailable("the runner cannot report its nodes").WithDetail("%v", err)
	}
	if sn.allocs, err = s.runner.Allocations(ctx); err != nil {
		return sn, apperr.Unavailable("the runner cannot report its jobs").WithDetail("%v", err)
	}
	ts, err := s.db.Q().ListTenants(ctx)
	if err != nil {
		return sn, err
	}
	sn.tenants = map[string]store.Tenant{}
	for _, t := range ts {
		sn.tenants[t.Name] = t
	}
	rows, settings, err := s.nodeSettings(ctx)
	if err != nil {
		return sn, err
	}
	sn.rows, sn.settings = map[string]store.Node{}, map[string]runner.NodeSetting{}
	for i, r := range rows {
		sn.rows[r.Name], sn.settings[r.Name] = r, settings[i]
	}
	return sn, nil
}

func (sn snapshot) container(a runner.Allocation) ContainerView {
	t := sn.tenants[a.Tenant]
	status := job.StatusPending
	if a.Phase == runner.Running {
		status = job.StatusRunning
	}
	return ContainerView{Name: a.Key, CreatedBy: a.User, ContainerType: kindTypes[a.Kind], ConditionNote: a.Reason,
		CPU: float64(a.Resources.CPU), Memory: float64(a.Resources.MemoryGB), GPU: a.Resources.GPU,
		StatusType: job.StatusType(status), Status: status, NodeName: a.Node, TenantID: t.ID, TenantName: a.Tenant,
		DisplayName: t.DisplayName, JobID: a.ID, CreatedAt: a.Created.UTC(), StartedAt: a.Started.UTC()}
}

// containers lists the jobs, of one tenant when tenant is set.
func (sn snapshot) containers(tenant string) []ContainerView {
	out := []ContainerView{}
	for _, a := range sn.allocs {
		if tenant == "" || a.Tenant == tenant {
			out = append(out, sn.container(a))
		}
	}
	return out
}

func info(assigned, allocatable float64) string {
	if allocatable == 0 {
		return fmt.Sprintf("%g / -", assigned)
	}
	return fmt.Sprintf("%g / %g", assigned, allocatable)
}

// nodeResources lists the runner's nodes with their jobs (of one tenant
// when tenant is set; then only the nodes it may use), and the jobs not yet
// placed under Unassigned.
func (sn snapshot) nodeResources(tenant string) []NodeResource {
	out := []NodeResource{}
	add := func(nr NodeResource, name string) {
		for _, a := range sn.allocs {
			if a.Node != name {
				continue
			}
			nr.assign(a.Resources)
			if tenant == "" || a.Tenant == tenant {
				nr.Containers = append(nr.Containers, sn.container(a))
			}
		}
		nr.describe()
		out = append(out, nr)
	}
	for _, n := range sn.nodes {
		set, registered := sn.settings[n.Name]
		if tenant != "" && !set.Allows(tenant) {
			continue
		}
		row := sn.rows[n.Name]
		add(NodeResource{Name: n.Name, Memo: row.Memo, Partition: row.Partition, AccessLevel: row.AccessLevel,
			TensorBoardEnabled: row.TensorBoardEnabled, NotebookEnabled: row.NotebookEnabled, Registered: registered,
			Usage: allocatable(n.Capacity), Containers: []ContainerView{}}, n.Name)
	}
	if slices.ContainsFunc(sn.allocs, func(a runner.Allocation) bool {
		return a.Node == "" && (tenant == "" || a.Tenant == tenant)
	}) {
		add(NodeResource{Name: Unassigned, Containers: []ContainerView{}}, "")
	}
	return out
}

// NodeResources is the admin's view by node (GET /admin/resource/nodes).
func (s *Service) NodeResources(ctx context.Context) ([]NodeResource, error) {
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return sn.nodeResources(""), nil
}

// TenantNodeResources is the caller's tenant's view by node: the nodes it
// may use, with its own jobs (GET /tenant/resource/nodes).
func (s *Service) TenantNodeResources(ctx context.Context) ([]NodeResource, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return sn.nodeResources(p.TenantName), nil
}

// TenantNodes lists the nodes the caller's tenant may use with their
// capacity and allocation, for the run forms (GET /tenant/nodes).
func (s *Service) TenantNodes(ctx context.Context) ([]NodeResource, error) {
	out, err := s.TenantNodeResources(ctx)
	return slices.DeleteFunc(out, func(n NodeResource) bool { return !n.Registered }), err
}

// TenantResources is the admin's view by tenant (GET /admin/resource/tenants).
func (s *Service) TenantResources(ctx context.Context) ([]TenantResource, error) {
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	ts := make([]store.Tenant, 0, len(sn.tenants))
	for _, t := range sn.tenants {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b store.Tenant) int { return int(a.ID - b.ID) })
	out := make([]TenantResource, 0, len(ts))
	for _, t := range ts {
		tr := TenantResource{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName,
			Usage: allocatable(tenantSetting(t).Quota), Containers: sn.containers(t.Name)}
		for _, a := range sn.allocs {
			if a.Tenant == t.Name {
				tr.assign(a.Resources)
			}
		}
		tr.describe()
		out = append(out, tr)
	}
	return out, nil
}

// Containers lists every job that holds or waits for resources, or with a
// tenant only its jobs.
func (s *Service) Containers(ctx context.Context, tenant string) ([]ContainerView, error) {
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return sn.containers(tenant), nil
}

// Container finds a job by its runner key in a tenant; tenantID 0 means the
// caller's tenant.
func (s *Service) Container(ctx context.Context, tenantID int64, name string) (ContainerView, error) {
	if tenantID == 0 {
		p, err := auth.FromContext(ctx)
		if err != nil {
			return ContainerView{}, err
		}
		tenantID = p.TenantID
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return ContainerView{}, err
	}
	for _, a := range sn.allocs {
		if a.Key == name && sn.tenants[a.Tenant].ID == tenantID {
			return sn.container(a), nil
		}
	}
	return ContainerView{}, apperr.NotFound("container %s is not found in tenant %d", name, tenantID).
		WithDetail("it may have ended; containers are the jobs that run or wait")
}

// ContainerLog reads a container's output so far.
func (s *Service) ContainerLog(ctx context.Context, tenantID int64, name string) (io.ReadCloser, error) {
	c, err := s.Container(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	return s.runner.Logs(ctx, c.Name, false)
}

// ContainerEvents lists what happened to a container.
func (s *Service) ContainerEvents(ctx context.Context, tenantID int64, name string) ([]runner.Event, error) {
	c, err := s.Container(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	ev, err := s.runner.Events(ctx, c.Name)
	if ev == nil {
		ev = []runner.Event{}
	}
	return ev, err
}

// DeleteContainer stops a container through the job service, which records
// the job as Killed (the original closed its history the same way).
func (s *Service) DeleteContainer(ctx context.Context, tenantID int64, name string) error {
	c, err := s.Container(ctx, tenantID, name)
	if err != nil {
		return err
	}
	if s.jobs == nil {
		return apperr.Unavailable("jobs cannot be stopped here")
	}
	return s.jobs.ExitKey(ctx, c.Name, job.StatusKilled)
}

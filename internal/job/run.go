package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Key is the runner's name of a job: "training-12", as the original's
// Kubernetes Job names. Ids are unique across tenants and kinds.
func Key(kind Kind, id int64) string { return string(kind) + "-" + strconv.FormatInt(id, 10) }

// parseKey returns the job id of a runner key.
func parseKey(key string) (int64, bool) {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(key[i+1:], 10, 64)
	return id, err == nil
}

// Run starts a training or an inference: the checks of the original's
// POST /training/run, then one transaction that records the job, its
// parents and tags and locks the dataset, then the runner. A job the runner
// refuses leaves nothing behind.
func (s *Service) Run(ctx context.Context, kind Kind, in RunInput) (Details, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return Details{}, err
	}
	if err := checkRun(&in, kind); err != nil {
		return Details{}, err
	}
	q := s.db.Q()
	ds, err := q.DatasetByID(ctx, p.TenantID, in.DataSetID)
	if errors.Is(err, store.ErrNoRows) {
		return Details{}, apperr.NotFound("dataset %d is not found", in.DataSetID)
	} else if err != nil {
		return Details{}, err
	}
	parents, err := s.checkParents(ctx, p.TenantID, kind, in.ParentIDs, in.InferenceIDs)
	if err != nil {
		return Details{}, err
	}
	res := runner.Resources{CPU: in.CPU, MemoryGB: in.Memory, GPU: in.GPU}
	if err := s.checkCapacity(ctx, p.TenantID, p.TenantName, in.Partition, res); err != nil {
		return Details{}, err
	}
	g := in.GitModel
	code, err := s.code.Resolve(ctx, deref(g.GitID), g.Owner, g.Repository, g.Branch, g.CommitID)
	if err != nil {
		return Details{}, err
	}
	img := in.ContainerImage
	ref, registryID, err := s.images.ImageRef(ctx, deref(img.RegistryID), img.Image, img.Tag)
	if err != nil {
		return Details{}, err
	}
	opts, _ := json.Marshal(nonNil(in.Options))
	ports, _ := json.Marshal(nonNilInts(in.Ports))
	j := store.Job{TenantID: p.TenantID, Kind: string(kind), Name: in.Name, Memo: in.Memo,
		UserID: store.NullInt(p.UserID), Status: StatusSubmitted, DatasetID: store.NullInt(ds.ID),
		GitID: store.NullInt(code.GitID), Repository: g.Repository, Owner: g.Owner, Branch: g.Branch,
		CommitID: code.Commit, GitURL: code.URL, EntryPoint: in.EntryPoint,
		RegistryID: store.NullInt(registryID), Image: img.Image, Tag: img.Tag, ImageRef: ref,
		Options: string(opts), CPU: in.CPU, Memory: in.Memory, GPU: in.GPU, Partition: in.Partition,
		Ports: string(ports), Zip: in.Zip, LocalDataSet: in.LocalDataSet}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if j.DisplayID, err = q.NextDisplayID(ctx, p.TenantID, string(kind)); err != nil {
			return err
		}
		if j.ID, err = q.InsertJob(ctx, j, p.UserName, s.now()); err != nil {
			return err
		}
		for _, pid := range parents {
			if err := q.AddJobParent(ctx, j.ID, pid); err != nil {
				return err
			}
		}
		if err := s.setTags(ctx, q, p.TenantID, j.ID, in.Tags); err != nil {
			return err
		}
		return q.LockDataset(ctx, p.TenantID, ds.ID)
	})
	if err != nil {
		return Details{}, fmt.Errorf("record %s: %w", kind, err)
	}
	spec, err := s.spec(ctx, p, j, code, parents)
	if err == nil {
		err = s.runner.Submit(ctx, spec)
	}
	if err != nil {
		s.undo(ctx, p.TenantID, j.ID, ds)
		return Details{}, submitError(err)
	}
	s.log.Info("job submitted", "job", spec.Key, "tenant", p.TenantName, "user", p.UserName, "image", ref,
		"commit", code.Commit, "cpu", in.CPU, "memory", in.Memory, "gpu", in.GPU)
	return s.Get(ctx, kind, j.ID)
}

// undo removes a job the runner refused, and unlocks its dataset when no
// other job uses it.
func (s *Service) undo(ctx context.Context, tenantID, id int64, ds store.Dataset) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := q.DeleteJob(ctx, tenantID, id); err != nil {
			return err
		}
		n, err := q.DatasetUsedByJobs(ctx, ds.ID)
		if err != nil || n > 0 || ds.IsLocked {
			return err
		}
		return q.UnlockDataset(ctx, tenantID, ds.ID)
	})
	if err != nil {
		s.log.Error("could not remove a job the runner refused", "job", id, "error", err)
	}
}

func submitError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if errors.Is(err, runner.ErrUnschedulable) {
		return apperr.Invalid("the job can never be scheduled").WithDetail("%v", err)
	}
	return apperr.Unavailable("the runner did not accept the job").WithDetail("%v", err)
}

// checkParents returns the ids of the parents after checking that each is a
// job of the tenant of the right kind.
func (s *Service) checkParents(ctx context.Context, tenantID int64, kind Kind, parentIDs, inferenceIDs []int64) ([]int64, error) {
	want := map[int64]Kind{}
	for _, id := range parentIDs {
		want[id] = Training
	}
	for _, id := range inferenceIDs {
		want[id] = Inference
	}
	if len(want) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	found, err := s.db.Q().JobsByIDs(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	have := map[int64]string{}
	for _, j := range found {
		have[j.ID] = j.Kind
	}
	out := make([]int64, 0, len(want))
	for _, id := range append(append([]int64{}, parentIDs...), inferenceIDs...) {
		k := want[id]
		if have[id] != string(k) {
			return nil, apperr.NotFound("parent %s %d is not found", k, id)
		}
		if !containsID(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// checkCapacity refuses a request that no node usable by the tenant could
// ever hold, or that would take the tenant past its quota (0 or unset =
// unlimited). Unlike the original, which compared each request with the
// quota alone (and refused one equal to it), the quota bounds the sum of the
// tenant's running jobs, as a Kubernetes ResourceQuota does.
func (s *Service) checkCapacity(ctx context.Context, tenantID int64, tenant, partition string, r runner.Resources) error {
	nodes, err := s.usableNodes(ctx, tenant)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return apperr.Invalid("no node is enabled for tenant %s", tenant).
			WithDetail("ask the administrator to make a node Public or to assign a Private node to the tenant")
	}
	fits, inPartition := false, partition == ""
	var largest runner.Resources
	for _, n := range nodes {
		if partition != "" && n.Partition != partition {
			continue
		}
		inPartition = true
		c := n.Capacity
		largest = runner.Resources{CPU: max(largest.CPU, c.CPU), MemoryGB: max(largest.MemoryGB, c.MemoryGB), GPU: max(largest.GPU, c.GPU)}
		if r.CPU <= c.CPU && r.MemoryGB <= c.MemoryGB && r.GPU <= c.GPU {
			fits = true
		}
	}
	if !inPartition {
		return apperr.Invalid("partition %q has no node usable by tenant %s", partition, tenant).
			WithDetail("choose another partition, or none")
	}
	if !fits {
		return apperr.Invalid("no node can hold %d CPU, %d GB memory and %d GPU", r.CPU, r.MemoryGB, r.GPU).
			WithDetail("the largest node has %d CPU, %d GB memory and %d GPU", largest.CPU, largest.MemoryGB, largest.GPU)
	}
	q := s.db.Q()
	t, err := q.TenantByID(ctx, tenantID)
	if err != nil {
		return err
	}
	used, err := q.TenantUsage(ctx, tenantID)
	if err != nil {
		return err
	}
	var over []string
	check := func(what string, limit sql.NullInt64, used, asked int) {
		if limit.Valid && limit.Int64 > 0 && int64(used+asked) > limit.Int64 {
			over = append(over, fmt.Sprintf("%s %d in use + %d asked > quota %d", what, used, asked, limit.Int64))
		}
	}
	check("CPU", t.LimitCPU, used.CPU, r.CPU)
	check("memory (GB)", t.LimitMemory, used.Memory, r.MemoryGB)
	check("GPU", t.LimitGPU, used.GPU, r.GPU)
	if len(over) > 0 {
		return apperr.Invalid("the tenant's quota does not allow this job").
			WithDetail("%s; wait for a job to end or ask the administrator to raise the quota", strings.Join(over, "; "))
	}
	return nil
}

// usableNodes lists the runner's nodes whose setting allows tenant, with
// the partition the administrator gave them. Without node settings (no
// cluster management) every node counts.
func (s *Service) usableNodes(ctx context.Context, tenant string) ([]runner.Node, error) {
	nodes, err := s.runner.Nodes(ctx)
	if err != nil {
		return nil, apperr.Unavailable("the runner cannot report its nodes").WithDetail("%v", err)
	}
	if s.nodes == nil {
		return nodes, nil
	}
	settings, err := s.nodes.NodeSettings(ctx)
	if err != nil {
		return nil, err
	}
	var out []runner.Node
	for _, n := range nodes {
		for _, set := range settings {
			if set.Name == n.Name && set.Allows(tenant) {
				n.Partition = set.Partition
				out = append(out, n)
			}
		}
	}
	return out, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilInts(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

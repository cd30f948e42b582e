package store

import (
	"context"
	"database/sql"
	"time"
)

// Node is a machine the administrator registered: who may run jobs there
// and in which partition.
type Node struct {
	ID                 int64  `db:"id"`
	Name               string `db:"name"`
	Memo               string `db:"memo"`
	Partition          string `db:"partition_name"`
	AccessLevel        int    `db:"access_level"`
	TensorBoardEnabled bool   `db:"tensorboard_enabled"`
	NotebookEnabled    bool   `db:"notebook_enabled"`
	Audit
}

const nodeCols = `id, name, memo, partition_name, access_level, tensorboard_enabled, notebook_enabled,
	created_by, created_at, modified_by, modified_at`

func (q Q) Nodes(ctx context.Context) ([]Node, error) {
	var ns []Node
	return ns, q.list(ctx, &ns, `SELECT `+nodeCols+` FROM nodes ORDER BY id`)
}

func (q Q) NodeByID(ctx context.Context, id int64) (Node, error) {
	var n Node
	return n, q.get(ctx, &n, `SELECT `+nodeCols+` FROM nodes WHERE id = ?`, id)
}

func (q Q) InsertNode(ctx context.Context, n Node, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO nodes (name, memo, partition_name, access_level, tensorboard_enabled,
		notebook_enabled, created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Name, n.Memo, n.Partition, n.AccessLevel, n.TensorBoardEnabled, n.NotebookEnabled, by, now, by, now)
}

func (q Q) UpdateNode(ctx context.Context, n Node, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE nodes SET name = ?, memo = ?, partition_name = ?, access_level = ?,
		tensorboard_enabled = ?, notebook_enabled = ?, modified_by = ?, modified_at = ? WHERE id = ?`,
		n.Name, n.Memo, n.Partition, n.AccessLevel, n.TensorBoardEnabled, n.NotebookEnabled, by, now, n.ID))
}

func (q Q) DeleteNode(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM nodes WHERE id = ?`, id))
}

// NodeTenant is one tenant a Private node is assigned to.
type NodeTenant struct {
	NodeID      int64  `db:"node_id"`
	TenantID    int64  `db:"tenant_id"`
	Name        string `db:"name"`
	DisplayName string `db:"display_name"`
}

// NodeTenants lists the tenant assignments of every node, by node and tenant id.
func (q Q) NodeTenants(ctx context.Context) ([]NodeTenant, error) {
	var out []NodeTenant
	return out, q.list(ctx, &out, `SELECT m.node_id, m.tenant_id, t.name, t.display_name FROM node_tenant_maps m
		JOIN tenants t ON t.id = m.tenant_id ORDER BY m.node_id, m.tenant_id`)
}

// SetNodeTenants replaces the tenants a node is assigned to.
func (q Q) SetNodeTenants(ctx context.Context, nodeID int64, tenantIDs []int64) error {
	if _, err := q.exec(ctx, `DELETE FROM node_tenant_maps WHERE node_id = ?`, nodeID); err != nil {
		return err
	}
	for _, t := range tenantIDs {
		if _, err := q.exec(ctx, `INSERT INTO node_tenant_maps (node_id, tenant_id) VALUES (?, ?)`, nodeID, t); err != nil {
			return err
		}
	}
	return nil
}

// ClaimNodeSeeding marks the first-start node registration as done and
// reports whether this call did so (false: it happened before).
func (q Q) ClaimNodeSeeding(ctx context.Context) (bool, error) {
	n, err := q.exec(ctx, `UPDATE settings SET nodes_seeded = TRUE WHERE id = 1 AND nodes_seeded = FALSE`)
	return n == 1, err
}

// SetTenantQuota sets a tenant's limits; 0 stores NULL (unlimited).
func (q Q) SetTenantQuota(ctx context.Context, id int64, cpu, memory, gpu int, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE tenants SET limit_cpu = ?, limit_memory = ?, limit_gpu = ?, modified_by = ?,
		modified_at = ? WHERE id = ?`, NullInt(int64(cpu)), NullInt(int64(memory)), NullInt(int64(gpu)), by, now, id))
}

// ---- resource samples

// SampleNode is one node of a resource sample with the jobs on it.
type SampleNode struct {
	Name       string
	CPU        int
	Memory     int
	GPU        int
	Containers []SampleContainer
}

// SampleContainer is one job in a resource sample.
type SampleContainer struct {
	TenantID   int64
	TenantName string
	Name       string
	CPU        int
	Memory     int
	GPU        int
	Status     string
}

// InsertSample records one snapshot of the nodes and their jobs.
func (q Q) InsertSample(ctx context.Context, at time.Time, nodes []SampleNode) error {
	sid, err := q.insert(ctx, `INSERT INTO resource_samples (sampled_at) VALUES (?)`, at)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		nid, err := q.insert(ctx, `INSERT INTO resource_nodes (sample_id, name, cpu, memory, gpu) VALUES (?, ?, ?, ?, ?)`,
			sid, n.Name, n.CPU, n.Memory, n.GPU)
		if err != nil {
			return err
		}
		for _, c := range n.Containers {
			if _, err := q.exec(ctx, `INSERT INTO resource_containers (node_id, tenant_id, tenant_name, name, cpu, memory,
				gpu, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				nid, c.TenantID, c.TenantName, c.Name, c.CPU, c.Memory, c.GPU, c.Status); err != nil {
				return err
			}
		}
	}
	return nil
}

// Placement is where a job of a history ran: its node, with the node's
// capacity at that time, and its tenant.
type Placement struct {
	NodeName   string `db:"node_name"`
	NodeCPU    int    `db:"node_cpu"`
	NodeMemory int    `db:"node_memory"`
	NodeGPU    int    `db:"node_gpu"`
	TenantID   int64  `db:"tenant_id"`
	TenantName string `db:"tenant_name"`
}

// ContainerSample is one row of the container history: a job in a sample.
type ContainerSample struct {
	SampledAt time.Time `db:"sampled_at"`
	Placement
	Name   string `db:"name"`
	CPU    int    `db:"cpu"`
	Memory int    `db:"memory"`
	GPU    int    `db:"gpu"`
	Status string `db:"status"`
}

// HistoryRange is how many rows a history holds and their first and last time.
type HistoryRange struct {
	Count       int64
	First, Last sql.NullTime
}

// historyRange reads a count and the first and last value of a time column.
// The ends are read as rows, not as MIN/MAX, which SQLite returns as text.
func (q Q) historyRange(ctx context.Context, count, column, from string) (HistoryRange, error) {
	var r HistoryRange
	if err := q.get(ctx, &r.Count, `SELECT `+count+` FROM `+from); err != nil || r.Count == 0 {
		return r, err
	}
	if err := q.get(ctx, &r.First, `SELECT `+column+` FROM `+from+` ORDER BY `+column+` LIMIT 1`); err != nil {
		return r, err
	}
	return r, q.get(ctx, &r.Last, `SELECT `+column+` FROM `+from+` ORDER BY `+column+` DESC LIMIT 1`)
}

// SampleRange counts the container rows of every sample.
func (q Q) SampleRange(ctx context.Context) (HistoryRange, error) {
	return q.historyRange(ctx, "COUNT(c.id)", "s.sampled_at",
		`resource_samples s JOIN resource_nodes n ON n.sample_id = s.id JOIN resource_containers c ON c.node_id = n.id`)
}

// EachContainerSample calls fn for every container row of the samples taken
// in [from, to), oldest first, without holding them all in memory.
func (q Q) EachContainerSample(ctx context.Context, from, to time.Time, fn func(ContainerSample) error) error {
	return each(ctx, q, fn, `SELECT s.sampled_at, n.name AS node_name, n.cpu AS node_cpu, n.memory AS node_memory, n.gpu AS node_gpu,
		c.tenant_id, c.tenant_name, c.name, c.cpu, c.memory, c.gpu, c.status
		FROM resource_samples s JOIN resource_nodes n ON n.sample_id = s.id JOIN resource_containers c ON c.node_id = n.id
		WHERE s.sampled_at >= ? AND s.sampled_at < ? ORDER BY s.sampled_at, s.id, n.id, c.id`, from, to)
}

// DeleteSamplesBefore removes the samples taken before t.
func (q Q) DeleteSamplesBefore(ctx context.Context, t time.Time) (int64, error) {
	return q.exec(ctx, `DELETE FROM resource_samples WHERE sampled_at < ?`, t)
}

// ---- job history

// ResourceJob is the history row of an ended job.
type ResourceJob struct {
	Placement
	Key            string       `db:"job_key"`
	Kind           string       `db:"kind"`
	JobID          int64        `db:"job_id"`
	JobCreatedAt   time.Time    `db:"job_created_at"`
	JobStartedAt   sql.NullTime `db:"job_started_at"`
	JobCompletedAt time.Time    `db:"job_completed_at"`
	CPU            int          `db:"cpu"`
	Memory         int          `db:"memory"`
	GPU            int          `db:"gpu"`
	Status         string       `db:"status"`
}

func (q Q) InsertResourceJob(ctx context.Context, r ResourceJob) error {
	_, err := q.exec(ctx, `INSERT INTO resource_jobs (node_name, node_cpu, node_memory, node_gpu, tenant_id, tenant_name,
		job_key, kind, job_id, job_created_at, job_started_at, job_completed_at, cpu, memory, gpu, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.NodeName, r.NodeCPU, r.NodeMemory, r.NodeGPU, r.TenantID, r.TenantName, r.Key, r.Kind, r.JobID,
		r.JobCreatedAt, r.JobStartedAt, r.JobCompletedAt, r.CPU, r.Memory, r.GPU, r.Status)
	return err
}

// ResourceJobRange counts the job history rows by completion time.
func (q Q) ResourceJobRange(ctx context.Context) (HistoryRange, error) {
	return q.historyRange(ctx, "COUNT(*)", "job_completed_at", "resource_jobs")
}

// EachResourceJob calls fn for every job that ended in [from, to), in the
// order they ended.
func (q Q) EachResourceJob(ctx context.Context, from, to time.Time, fn func(ResourceJob) error) error {
	return each(ctx, q, fn, `SELECT node_name, node_cpu, node_memory, node_gpu, tenant_id, tenant_name, job_key, kind, job_id,
		job_created_at, job_started_at, job_completed_at, cpu, memory, gpu, status FROM resource_jobs
		WHERE job_completed_at >= ? AND job_completed_at < ? ORDER BY job_completed_at, id`, from, to)
}

// DeleteResourceJobsBefore removes the history of jobs that ended before t.
func (q Q) DeleteResourceJobsBefore(ctx context.Context, t time.Time) (int64, error) {
	return q.exec(ctx, `DELETE FROM resource_jobs WHERE job_completed_at < ?`, t)
}

// each runs query and calls fn with each row while the rows are open, so
// that a long result is never held in memory.
func each[T any](ctx context.Context, q Q, fn func(T) error, query string, args ...any) error {
	rows, err := q.x.QueryxContext(ctx, q.rebind(query), args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := rows.StructScan(&v); err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}

package store

import (
	"context"
	"database/sql"
	"time"
)

// Preprocess is a preprocessing definition: code, image and default
// resources that runs apply to one data each.
type Preprocess struct {
	ID         int64         `db:"id"`
	TenantID   int64         `db:"tenant_id"`
	Name       string        `db:"name"`
	Memo       string        `db:"memo"`
	EntryPoint string        `db:"entry_point"`
	GitID      sql.NullInt64 `db:"git_id"`
	Repository string        `db:"repository"`
	Owner      string        `db:"owner"`
	Branch     string        `db:"branch"`
	CommitID   string        `db:"commit_id"`
	RegistryID sql.NullInt64 `db:"registry_id"`
	Image      string        `db:"image"`
	Tag        string        `db:"tag"`
	CPU        int           `db:"cpu"`
	Memory     int           `db:"memory"`
	GPU        int           `db:"gpu"`
	Audit
}

const preprocessCols = `id, tenant_id, name, memo, entry_point, git_id, repository, owner, branch, commit_id,
	registry_id, image, tag, cpu, memory, gpu, created_by, created_at, modified_by, modified_at`

func (q Q) InsertPreprocess(ctx context.Context, p Preprocess, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO preprocesses (tenant_id, name, memo, entry_point, git_id, repository, owner,
		branch, commit_id, registry_id, image, tag, cpu, memory, gpu, created_by, created_at, modified_by, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.TenantID, p.Name, p.Memo, p.EntryPoint, p.GitID, p.Repository, p.Owner, p.Branch, p.CommitID,
		p.RegistryID, p.Image, p.Tag, p.CPU, p.Memory, p.GPU, by, now, by, now)
}

func (q Q) UpdatePreprocess(ctx context.Context, p Preprocess, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE preprocesses SET name = ?, memo = ?, entry_point = ?, git_id = ?,
		repository = ?, owner = ?, branch = ?, commit_id = ?, registry_id = ?, image = ?, tag = ?, cpu = ?,
		memory = ?, gpu = ?, modified_by = ?, modified_at = ? WHERE tenant_id = ? AND id = ?`,
		p.Name, p.Memo, p.EntryPoint, p.GitID, p.Repository, p.Owner, p.Branch, p.CommitID, p.RegistryID,
		p.Image, p.Tag, p.CPU, p.Memory, p.GPU, by, now, p.TenantID, p.ID))
}

func (q Q) PreprocessByID(ctx context.Context, tenantID, id int64) (Preprocess, error) {
	var p Preprocess
	return p, q.get(ctx, &p, `SELECT `+preprocessCols+` FROM preprocesses WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ListPreprocesses returns the tenant's definitions, newest first.
func (q Q) ListPreprocesses(ctx context.Context, tenantID int64) ([]Preprocess, error) {
	var ps []Preprocess
	return ps, q.list(ctx, &ps, `SELECT `+preprocessCols+` FROM preprocesses WHERE tenant_id = ? ORDER BY id DESC`, tenantID)
}

func (q Q) DeletePreprocess(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM preprocesses WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// PreprocessRuns lists the runs (histories) of a definition, newest first.
func (q Q) PreprocessRuns(ctx context.Context, tenantID, preprocessID int64) ([]Job, error) {
	var js []Job
	return js, q.list(ctx, &js, `SELECT `+jobCols+` FROM jobs WHERE tenant_id = ? AND preprocess_id = ? ORDER BY id DESC`,
		tenantID, preprocessID)
}

// PreprocessRun returns the run of a definition on one data.
func (q Q) PreprocessRun(ctx context.Context, tenantID, preprocessID, dataID int64) (Job, error) {
	var j Job
	return j, q.get(ctx, &j, `SELECT `+jobCols+` FROM jobs WHERE tenant_id = ? AND preprocess_id = ? AND input_data_id = ?`,
		tenantID, preprocessID, dataID)
}

// DataInPreprocessing reports whether a data is the input or an output of
// a preprocessing run.
func (q Q) DataInPreprocessing(ctx context.Context, dataID int64) (bool, error) {
	var n int
	err := q.get(ctx, &n, `SELECT (SELECT COUNT(*) FROM jobs WHERE input_data_id = ?) +
		(SELECT COUNT(*) FROM job_output_data WHERE data_id = ?)`, dataID, dataID)
	return n > 0, err
}

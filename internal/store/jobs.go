package store

import (
	"context"
	"database/sql"
	"time"
)

// Job is one run of a training, an inference or a preprocessing.
type Job struct {
	ID           int64         `db:"id"`
	TenantID     int64         `db:"tenant_id"`
	Kind         string        `db:"kind"`
	DisplayID    int64         `db:"display_id"`
	Name         string        `db:"name"`
	Memo         string        `db:"memo"`
	Favorite     bool          `db:"favorite"`
	UserID       sql.NullInt64 `db:"user_id"`
	Status       string        `db:"status"`
	Note         string        `db:"note"`
	DatasetID    sql.NullInt64 `db:"dataset_id"`
	GitID        sql.NullInt64 `db:"git_id"`
	Repository   string        `db:"repository"`
	Owner        string        `db:"owner"`
	Branch       string        `db:"branch"`
	CommitID     string        `db:"commit_id"`
	GitURL       string        `db:"git_url"`
	EntryPoint   string        `db:"entry_point"`
	RegistryID   sql.NullInt64 `db:"registry_id"`
	Image        string        `db:"image"`
	Tag          string        `db:"tag"`
	ImageRef     string        `db:"image_ref"`
	Options      string        `db:"options"` // JSON object of the user's environment variables
	CPU          int           `db:"cpu"`
	Memory       int           `db:"memory"`
	GPU          int           `db:"gpu"`
	Partition    string        `db:"partition_name"`
	Ports        string        `db:"ports"` // JSON array
	Zip          bool          `db:"zip"`
	LocalDataSet bool          `db:"local_dataset"`
	Node         string        `db:"node"`
	Devices      string        `db:"devices"`
	ExitCode     sql.NullInt64 `db:"exit_code"`
	OutputValue  string        `db:"output_value"`
	PreprocessID sql.NullInt64 `db:"preprocess_id"`
	InputDataID  sql.NullInt64 `db:"input_data_id"`
	StartedAt    sql.NullTime  `db:"started_at"`
	JobStartedAt sql.NullTime  `db:"job_started_at"`
	CompletedAt  sql.NullTime  `db:"completed_at"`
	Audit
}

const jobCols = `id, tenant_id, kind, display_id, name, memo, favorite, user_id, status, note, dataset_id, git_id,
	repository, owner, branch, commit_id, git_url, entry_point, registry_id, image, tag, image_ref, options,
	cpu, memory, gpu, partition_name, ports, zip, local_dataset, node, devices, exit_code, output_value,
	preprocess_id, input_data_id, started_at, job_started_at, completed_at, created_by, created_at, modified_by, modified_at`

// InsertJob adds a job and returns its id.
func (q Q) InsertJob(ctx context.Context, j Job, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO jobs (tenant_id, kind, display_id, name, memo, favorite, user_id, status, note,
		dataset_id, git_id, repository, owner, branch, commit_id, git_url, entry_point, registry_id, image, tag,
		image_ref, options, cpu, memory, gpu, partition_name, ports, zip, local_dataset, preprocess_id, input_data_id,
		started_at, created_by, created_at, modified_by, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.TenantID, j.Kind, j.DisplayID, j.Name, j.Memo, j.Favorite, j.UserID, j.Status, j.Note,
		j.DatasetID, j.GitID, j.Repository, j.Owner, j.Branch, j.CommitID, j.GitURL, j.EntryPoint, j.RegistryID,
		j.Image, j.Tag, j.ImageRef, j.Options, j.CPU, j.Memory, j.GPU, j.Partition, j.Ports, j.Zip, j.LocalDataSet,
		j.PreprocessID, j.InputDataID, now, by, now, by, now)
}

// JobByID returns a job of the tenant and kind.
func (q Q) JobByID(ctx context.Context, tenantID int64, kind string, id int64) (Job, error) {
	var j Job
	return j, q.get(ctx, &j, `SELECT `+jobCols+` FROM jobs WHERE tenant_id = ? AND kind = ? AND id = ?`, tenantID, kind, id)
}

// JobByIDAnyTenant returns a job by id alone, for the runner's status
// updates, which are not made on behalf of a tenant.
func (q Q) JobByIDAnyTenant(ctx context.Context, id int64) (Job, error) {
	var j Job
	return j, q.get(ctx, &j, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id)
}

// JobsByIDs returns the tenant's jobs among ids.
func (q Q) JobsByIDs(ctx context.Context, tenantID int64, ids []int64) ([]Job, error) {
	return inChunks[Job](ctx, q, `SELECT `+jobCols+` FROM jobs WHERE tenant_id = ? AND id IN (%s)`, tenantID, ids)
}

// ListJobs returns the tenant's jobs of a kind, newest first.
func (q Q) ListJobs(ctx context.Context, tenantID int64, kind string) ([]Job, error) {
	var js []Job
	return js, q.list(ctx, &js, `SELECT `+jobCols+` FROM jobs WHERE tenant_id = ? AND kind = ? ORDER BY id DESC`, tenantID, kind)
}

// ActiveJobs returns the jobs of every tenant that have not ended (a job
// ends when completed_at is set).
func (q Q) ActiveJobs(ctx context.Context) ([]Job, error) {
	var js []Job
	return js, q.list(ctx, &js, `SELECT `+jobCols+` FROM jobs WHERE completed_at IS NULL ORDER BY id`)
}

// UpdateJobMeta writes name, memo and favorite.
func (q Q) UpdateJobMeta(ctx context.Context, j Job, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE jobs SET name = ?, memo = ?, favorite = ?, modified_by = ?, modified_at = ?
		WHERE tenant_id = ? AND id = ?`, j.Name, j.Memo, j.Favorite, by, now, j.TenantID, j.ID))
}

// JobState is what the runner reports about a job.
type JobState struct {
	Status       string
	Note         string
	Node         string
	Devices      string
	ExitCode     sql.NullInt64
	JobStartedAt sql.NullTime
	CompletedAt  sql.NullTime
}

// SetJobState records a runner's report. Only a job that has not ended
// changes, so a late report never overwrites an outcome; it returns whether
// the row changed.
func (q Q) SetJobState(ctx context.Context, id int64, s JobState, now time.Time) (bool, error) {
	n, err := q.exec(ctx, `UPDATE jobs SET status = ?, note = ?, node = ?, devices = ?, exit_code = ?,
		job_started_at = COALESCE(job_started_at, ?), completed_at = ?, modified_at = ?
		WHERE id = ? AND completed_at IS NULL`,
		s.Status, s.Note, s.Node, s.Devices, s.ExitCode, s.JobStartedAt, s.CompletedAt, now, id)
	return n == 1, err
}

// SetJobOutputValue stores an inference's value.txt.
func (q Q) SetJobOutputValue(ctx context.Context, id int64, v string) error {
	_, err := q.exec(ctx, `UPDATE jobs SET output_value = ? WHERE id = ?`, v, id)
	return err
}

func (q Q) DeleteJob(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM jobs WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// ---- parents

// JobParent links a job to a job it reads.
type JobParent struct {
	JobID    int64 `db:"job_id"`
	ParentID int64 `db:"parent_id"`
}

func (q Q) AddJobParent(ctx context.Context, jobID, parentID int64) error {
	_, err := q.exec(ctx, `INSERT INTO job_parents (job_id, parent_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, jobID, parentID)
	return err
}

// JobParents lists the parents of the tenant's jobs among jobIDs.
func (q Q) JobParents(ctx context.Context, tenantID int64, jobIDs []int64) ([]JobParent, error) {
	return inChunks[JobParent](ctx, q, `SELECT p.job_id, p.parent_id FROM job_parents p JOIN jobs j ON j.id = p.job_id
		WHERE j.tenant_id = ? AND p.job_id IN (%s) ORDER BY p.job_id, p.parent_id`, tenantID, jobIDs)
}

// TenantJobParents lists the parents of every job of a kind in a tenant.
func (q Q) TenantJobParents(ctx context.Context, tenantID int64, kind string) ([]JobParent, error) {
	var ps []JobParent
	return ps, q.list(ctx, &ps, `SELECT p.job_id, p.parent_id FROM job_parents p JOIN jobs j ON j.id = p.job_id
		WHERE j.tenant_id = ? AND j.kind = ? ORDER BY p.job_id, p.parent_id`, tenantID, kind)
}

// JobChildren counts the jobs that read job id.
func (q Q) JobChildren(ctx context.Context, id int64) (int, error) {
	var n int
	return n, q.get(ctx, &n, `SELECT COUNT(*) FROM job_parents WHERE parent_id = ?`, id)
}

// ---- tags

// JobTag is one tag of one job.
type JobTag struct {
	JobID int64  `db:"job_id"`
	Name  string `db:"name"`
}

// JobTags lists the tags of the tenant's trainings (of one when jobID > 0).
func (q Q) JobTags(ctx context.Context, tenantID, jobID int64) ([]JobTag, error) {
	var ts []JobTag
	query := `SELECT m.job_id, t.name FROM job_tag_maps m JOIN tags t ON t.id = m.tag_id WHERE t.tenant_id = ?`
	args := []any{tenantID}
	if jobID > 0 {
		query += ` AND m.job_id = ?`
		args = append(args, jobID)
	}
	return ts, q.list(ctx, &ts, query+` ORDER BY m.job_id, t.name`, args...)
}

func (q Q) AddJobTag(ctx context.Context, jobID, tagID int64) error {
	_, err := q.exec(ctx, `INSERT INTO job_tag_maps (job_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, jobID, tagID)
	return err
}

func (q Q) RemoveJobTag(ctx context.Context, tenantID, jobID int64, name string) error {
	_, err := q.exec(ctx, `DELETE FROM job_tag_maps WHERE job_id = ? AND tag_id IN
		(SELECT id FROM tags WHERE tenant_id = ? AND type = ? AND name = ?)`, jobID, tenantID, TagTraining, name)
	return err
}

func (q Q) ClearJobTags(ctx context.Context, jobID int64) error {
	_, err := q.exec(ctx, `DELETE FROM job_tag_maps WHERE job_id = ?`, jobID)
	return err
}

// PurgeTrainingTags deletes the tenant's training tags no job carries.
func (q Q) PurgeTrainingTags(ctx context.Context, tenantID int64) error {
	_, err := q.exec(ctx, `DELETE FROM tags WHERE tenant_id = ? AND type = ?
		AND NOT EXISTS (SELECT 1 FROM job_tag_maps m WHERE m.tag_id = tags.id)`, tenantID, TagTraining)
	return err
}

// ---- attached files

// JobFile is a file a user attached to a job.
type JobFile struct {
	ID         int64     `db:"id"`
	TenantID   int64     `db:"tenant_id"`
	JobID      int64     `db:"job_id"`
	FileName   string    `db:"file_name"`
	StoredPath string    `db:"stored_path"`
	Size       int64     `db:"size"`
	SHA256     string    `db:"sha256"`
	CreatedBy  string    `db:"created_by"`
	CreatedAt  time.Time `db:"created_at"`
}

func (q Q) InsertJobFile(ctx context.Context, f JobFile, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO job_files (tenant_id, job_id, file_name, stored_path, size, sha256, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.TenantID, f.JobID, f.FileName, f.StoredPath, f.Size, f.SHA256, by, now)
}

func (q Q) JobFiles(ctx context.Context, jobID int64) ([]JobFile, error) {
	var fs []JobFile
	return fs, q.list(ctx, &fs, `SELECT id, tenant_id, job_id, file_name, stored_path, size, sha256, created_by, created_at
		FROM job_files WHERE job_id = ? ORDER BY id`, jobID)
}

func (q Q) DeleteJobFile(ctx context.Context, jobID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM job_files WHERE job_id = ? AND id = ?`, jobID, id))
}

// ---- preprocessing outputs

func (q Q) AddJobOutputData(ctx context.Context, jobID, dataID int64) error {
	_, err := q.exec(ctx, `INSERT INTO job_output_data (job_id, data_id) VALUES (?, ?)`, jobID, dataID)
	return err
}

func (q Q) JobOutputData(ctx context.Context, jobID int64) ([]int64, error) {
	var ids []int64
	return ids, q.list(ctx, &ids, `SELECT data_id FROM job_output_data WHERE job_id = ? ORDER BY data_id`, jobID)
}

// DatasetUsedByJobs counts the jobs that use a dataset.
func (q Q) DatasetUsedByJobs(ctx context.Context, datasetID int64) (int, error) {
	var n int
	return n, q.get(ctx, &n, `SELECT COUNT(*) FROM jobs WHERE dataset_id = ?`, datasetID)
}

// Usage is the resources held by a tenant's jobs that have not ended.
type Usage struct {
	CPU    int `db:"cpu"`
	Memory int `db:"memory"`
	GPU    int `db:"gpu"`
}

func (q Q) TenantUsage(ctx context.Context, tenantID int64) (Usage, error) {
	var u Usage
	return u, q.get(ctx, &u, `SELECT COALESCE(SUM(cpu), 0) AS cpu, COALESCE(SUM(memory), 0) AS memory,
		COALESCE(SUM(gpu), 0) AS gpu FROM jobs WHERE tenant_id = ? AND completed_at IS NULL`, tenantID)
}

// SearchHistory is a saved advanced search of a user in a tenant.
type SearchHistory struct {
	ID       int64  `db:"id"`
	TenantID int64  `db:"tenant_id"`
	UserID   int64  `db:"user_id"`
	Name     string `db:"name"`
	Detail   string `db:"detail"` // JSON
	Audit
}

func (q Q) InsertSearchHistory(ctx context.Context, h SearchHistory, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO training_search_histories (tenant_id, user_id, name, detail, created_by,
		created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		h.TenantID, h.UserID, h.Name, h.Detail, by, now, by, now)
}

func (q Q) SearchHistories(ctx context.Context, tenantID, userID int64) ([]SearchHistory, error) {
	var hs []SearchHistory
	return hs, q.list(ctx, &hs, `SELECT id, tenant_id, user_id, name, detail, created_by, created_at, modified_by,
		modified_at FROM training_search_histories WHERE tenant_id = ? AND user_id = ? ORDER BY id`, tenantID, userID)
}

func (q Q) DeleteSearchHistory(ctx context.Context, tenantID, userID, id int64) (int64, error) {
	return q.exec(ctx, `DELETE FROM training_search_histories WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		tenantID, userID, id)
}

// JobsUsing names the jobs and preprocessings that refer to a git endpoint
// (col "git_id") or a registry (col "registry_id"), for refusing deletes.
func (q Q) JobsUsing(ctx context.Context, col string, id int64) ([]string, error) {
	if col != "git_id" && col != "registry_id" {
		return nil, nil
	}
	var names []string
	err := q.list(ctx, &names, `SELECT kind || ' ' || CAST(id AS TEXT) FROM jobs WHERE `+col+` = ?
		UNION ALL SELECT 'preprocessing ' || CAST(id AS TEXT) FROM preprocesses WHERE `+col+` = ? LIMIT 20`, id, id)
	return names, err
}

package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// NextDisplayID returns the next per-tenant number of a kind of record
// ("data", "dataset"): one upsert, so concurrent creators get distinct
// numbers (the row lock serialises them on PostgreSQL).
func (q Q) NextDisplayID(ctx context.Context, tenantID int64, kind string) (int64, error) {
	var v int64
	err := q.x.QueryRowxContext(ctx, q.rebind(`INSERT INTO tenant_counters (tenant_id, name, value) VALUES (?, ?, 1)
		ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + 1 RETURNING value`),
		tenantID, kind).Scan(&v)
	return v, mapErr(err)
}

// ---- data

const dataCols = `id, tenant_id, display_id, name, memo, parent_data_id, created_by, created_at, modified_by, modified_at`

func (q Q) InsertData(ctx context.Context, d Data, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO data (tenant_id, display_id, name, memo, parent_data_id,
		created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.TenantID, d.DisplayID, d.Name, d.Memo, d.ParentDataID, by, now, by, now)
}

func (q Q) DataByID(ctx context.Context, tenantID, id int64) (Data, error) {
	var d Data
	return d, q.get(ctx, &d, `SELECT `+dataCols+` FROM data WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// DataByIDs returns the tenant's data among ids (ids of other tenants or
// of nothing are left out).
func (q Q) DataByIDs(ctx context.Context, tenantID int64, ids []int64) ([]Data, error) {
	return inChunks[Data](ctx, q, `SELECT `+dataCols+` FROM data WHERE tenant_id = ? AND id IN (%s)`, tenantID, ids)
}

// ListData returns the tenant's data, newest first.
func (q Q) ListData(ctx context.Context, tenantID int64) ([]Data, error) {
	var ds []Data
	return ds, q.list(ctx, &ds, `SELECT `+dataCols+` FROM data WHERE tenant_id = ? ORDER BY id DESC`, tenantID)
}

func (q Q) UpdateData(ctx context.Context, d Data, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE data SET name = ?, memo = ?, modified_by = ?, modified_at = ?
		WHERE tenant_id = ? AND id = ?`, d.Name, d.Memo, by, now, d.TenantID, d.ID))
}

// TouchData records a change of the data's files or tags.
func (q Q) TouchData(ctx context.Context, tenantID, id int64, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE data SET modified_by = ?, modified_at = ? WHERE tenant_id = ? AND id = ?`,
		by, now, tenantID, id))
}

func (q Q) DeleteData(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM data WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// ---- tags

// EnsureTag returns the id of the tenant's tag, creating it when new.
func (q Q) EnsureTag(ctx context.Context, tenantID int64, typ int, name string) (int64, error) {
	if _, err := q.exec(ctx, `INSERT INTO tags (tenant_id, type, name) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, type, name) DO NOTHING`, tenantID, typ, name); err != nil {
		return 0, err
	}
	var id int64
	return id, q.get(ctx, &id, `SELECT id FROM tags WHERE tenant_id = ? AND type = ? AND name = ?`, tenantID, typ, name)
}

// Tags lists the names of the tenant's tags of a type.
func (q Q) Tags(ctx context.Context, tenantID int64, typ int) ([]string, error) {
	var names []string
	return names, q.list(ctx, &names, `SELECT name FROM tags WHERE tenant_id = ? AND type = ? ORDER BY name`, tenantID, typ)
}

// PurgeDataTags deletes the tenant's data tags that no data carries.
func (q Q) PurgeDataTags(ctx context.Context, tenantID int64) (int64, error) {
	return q.exec(ctx, `DELETE FROM tags WHERE tenant_id = ? AND type = ?
		AND NOT EXISTS (SELECT 1 FROM data_tag_maps m WHERE m.tag_id = tags.id)`, tenantID, TagData)
}

// DataTag is one tag of one data.
type DataTag struct {
	DataID int64  `db:"data_id"`
	Name   string `db:"name"`
}

// DataTags lists the tags of the tenant's data (of one data when dataID > 0).
func (q Q) DataTags(ctx context.Context, tenantID, dataID int64) ([]DataTag, error) {
	var ts []DataTag
	query := `SELECT m.data_id, t.name FROM data_tag_maps m JOIN tags t ON t.id = m.tag_id WHERE t.tenant_id = ?`
	args := []any{tenantID}
	if dataID > 0 {
		query += ` AND m.data_id = ?`
		args = append(args, dataID)
	}
	return ts, q.list(ctx, &ts, query+` ORDER BY m.data_id, t.name`, args...)
}

func (q Q) AddDataTag(ctx context.Context, dataID, tagID int64) error {
	_, err := q.exec(ctx, `INSERT INTO data_tag_maps (data_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, dataID, tagID)
	return err
}

func (q Q) RemoveDataTag(ctx context.Context, tenantID, dataID int64, name string) (int64, error) {
	return q.exec(ctx, `DELETE FROM data_tag_maps WHERE data_id = ? AND tag_id IN
		(SELECT id FROM tags WHERE tenant_id = ? AND type = ? AND name = ?)`, dataID, tenantID, TagData, name)
}

func (q Q) ClearDataTags(ctx context.Context, dataID int64) error {
	_, err := q.exec(ctx, `DELETE FROM data_tag_maps WHERE data_id = ?`, dataID)
	return err
}

// ---- data files

const dataFileCols = `id, tenant_id, data_id, file_name, stored_path, size, sha256, created_by, created_at`

// insertChunk bounds the rows of one multi-row INSERT (SQLite allows 32766
// parameters per statement).
const insertChunk = 500

// InsertDataFiles adds files to a data with multi-row inserts, so that
// registering 10,000 files is a few statements, not 10,000.
func (q Q) InsertDataFiles(ctx context.Context, files []DataFile, by string, now time.Time) error {
	for start := 0; start < len(files); start += insertChunk {
		chunk := files[start:min(start+insertChunk, len(files))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO data_files (tenant_id, data_id, file_name, stored_path, size, sha256, created_by, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		for i, f := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, f.TenantID, f.DataID, f.FileName, f.StoredPath, f.Size, f.SHA256, by, now)
		}
		if _, err := q.exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// DataFiles lists the files of the tenant's data ids, by data then name.
func (q Q) DataFiles(ctx context.Context, tenantID int64, dataIDs ...int64) ([]DataFile, error) {
	return inChunks[DataFile](ctx, q, `SELECT `+dataFileCols+` FROM data_files WHERE tenant_id = ? AND data_id IN (%s)
		ORDER BY data_id, file_name`, tenantID, dataIDs)
}

// inChunks runs a query whose %s is an IN list over values, a chunk at a
// time (SQLite bounds the parameters of one statement), after the fixed
// first argument.
func inChunks[T, V any](ctx context.Context, q Q, query string, first any, values []V) ([]T, error) {
	var out []T
	for start := 0; start < len(values); start += insertChunk {
		chunk := values[start:min(start+insertChunk, len(values))]
		args := []any{first}
		for _, v := range chunk {
			args = append(args, v)
		}
		var rows []T
		if err := q.list(ctx, &rows, fmt.Sprintf(query, placeholders(len(chunk))), args...); err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (q Q) CountDataFiles(ctx context.Context, tenantID, dataID int64) (int64, error) {
	var n int64
	return n, q.get(ctx, &n, `SELECT COUNT(*) FROM data_files WHERE tenant_id = ? AND data_id = ?`, tenantID, dataID)
}

func (q Q) DataFileByName(ctx context.Context, tenantID, dataID int64, name string) (DataFile, error) {
	var f DataFile
	return f, q.get(ctx, &f, `SELECT `+dataFileCols+` FROM data_files WHERE tenant_id = ? AND data_id = ? AND file_name = ?`,
		tenantID, dataID, name)
}

func (q Q) DataFileByID(ctx context.Context, tenantID, dataID, id int64) (DataFile, error) {
	var f DataFile
	return f, q.get(ctx, &f, `SELECT `+dataFileCols+` FROM data_files WHERE tenant_id = ? AND data_id = ? AND id = ?`,
		tenantID, dataID, id)
}

func (q Q) DeleteDataFile(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM data_files WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ---- uploads

// InsertUpload records a completed upload (a retried completion of the
// same key replaces the record).
func (q Q) InsertUpload(ctx context.Context, u Upload) error {
	_, err := q.exec(ctx, `INSERT INTO uploads (tenant_id, object_key, size, sha256, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, object_key) DO UPDATE SET size = excluded.size,
		sha256 = excluded.sha256, created_at = excluded.created_at`,
		u.TenantID, u.ObjectKey, u.Size, u.SHA256, u.CreatedAt)
	return err
}

// Uploads returns the tenant's unclaimed uploads among keys.
func (q Q) Uploads(ctx context.Context, tenantID int64, keys []string) ([]Upload, error) {
	return inChunks[Upload](ctx, q, `SELECT id, tenant_id, object_key, size, sha256, created_at FROM uploads
		WHERE tenant_id = ? AND object_key IN (%s)`, tenantID, keys)
}

// ClaimUploads hands uploads to their owner (a data file or attachment),
// whose own row now records size and SHA-256; the cleaner then never sees
// them.
func (q Q) ClaimUploads(ctx context.Context, ids []int64) error {
	for start := 0; start < len(ids); start += insertChunk {
		chunk := ids[start:min(start+insertChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, err := q.exec(ctx, `DELETE FROM uploads WHERE id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// StaleUpload is an unclaimed upload with its tenant's name and storage.
type StaleUpload struct {
	Upload
	TenantName string `db:"tenant_name"`
	StorageID  int64  `db:"storage_id"`
}

// StaleUploads lists unclaimed uploads completed before cutoff.
func (q Q) StaleUploads(ctx context.Context, cutoff time.Time, limit int) ([]StaleUpload, error) {
	var us []StaleUpload
	return us, q.list(ctx, &us, `SELECT u.id, u.tenant_id, u.object_key, u.size, u.sha256, u.created_at,
		t.name AS tenant_name, t.storage_id FROM uploads u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.created_at < ? ORDER BY u.id LIMIT ?`, cutoff, limit)
}

func (q Q) DeleteUpload(ctx context.Context, id int64) error {
	_, err := q.exec(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	return err
}

// TenantHasFiles reports whether a tenant has data files, uploads or jobs
// (whose outputs are stored files).
func (q Q) TenantHasFiles(ctx context.Context, tenantID int64) (bool, error) {
	var n int64
	err := q.get(ctx, &n, `SELECT (SELECT COUNT(*) FROM data_files WHERE tenant_id = ?) +
		(SELECT COUNT(*) FROM uploads WHERE tenant_id = ?) + (SELECT COUNT(*) FROM jobs WHERE tenant_id = ?)`,
		tenantID, tenantID, tenantID)
	return n > 0, err
}

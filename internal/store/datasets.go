package store

import (
	"context"
	"time"
)

func (q Q) DataTypes(ctx context.Context) ([]DataType, error) {
	var ts []DataType
	return ts, q.list(ctx, &ts, `SELECT id, name, sort_order FROM data_types ORDER BY sort_order, id`)
}

const datasetCols = `id, tenant_id, display_id, name, memo, is_flat, is_locked, created_by, created_at, modified_by, modified_at`

func (q Q) InsertDataset(ctx context.Context, d Dataset, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO datasets (tenant_id, display_id, name, memo, is_flat, is_locked,
		created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.TenantID, d.DisplayID, d.Name, d.Memo, d.IsFlat, d.IsLocked, by, now, by, now)
}

func (q Q) DatasetByID(ctx context.Context, tenantID, id int64) (Dataset, error) {
	var d Dataset
	return d, q.get(ctx, &d, `SELECT `+datasetCols+` FROM datasets WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ListDatasets returns the tenant's datasets, newest first.
func (q Q) ListDatasets(ctx context.Context, tenantID int64) ([]Dataset, error) {
	var ds []Dataset
	return ds, q.list(ctx, &ds, `SELECT `+datasetCols+` FROM datasets WHERE tenant_id = ? ORDER BY id DESC`, tenantID)
}

// UpdateDataset writes name, memo and the flat flag.
func (q Q) UpdateDataset(ctx context.Context, d Dataset, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE datasets SET name = ?, memo = ?, is_flat = ?, modified_by = ?, modified_at = ?
		WHERE tenant_id = ? AND id = ?`, d.Name, d.Memo, d.IsFlat, by, now, d.TenantID, d.ID))
}

// LockDataset freezes a dataset's entries; jobs call it when a training
// first uses the dataset.
func (q Q) LockDataset(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `UPDATE datasets SET is_locked = TRUE WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

func (q Q) DeleteDataset(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM datasets WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// DatasetEntries lists the entries of a dataset in insertion order.
func (q Q) DatasetEntries(ctx context.Context, datasetID int64) ([]DatasetEntry, error) {
	var es []DatasetEntry
	return es, q.list(ctx, &es, `SELECT dataset_id, data_id, data_type_id FROM dataset_entries
		WHERE dataset_id = ? ORDER BY id`, datasetID)
}

// SetDatasetEntries replaces a dataset's entries.
func (q Q) SetDatasetEntries(ctx context.Context, datasetID int64, es []DatasetEntry) error {
	if _, err := q.exec(ctx, `DELETE FROM dataset_entries WHERE dataset_id = ?`, datasetID); err != nil {
		return err
	}
	for _, e := range es {
		if _, err := q.exec(ctx, `INSERT INTO dataset_entries (dataset_id, data_id, data_type_id) VALUES (?, ?, ?)`,
			datasetID, e.DataID, e.DataTypeID); err != nil {
			return err
		}
	}
	return nil
}

// DatasetsWithData lists the datasets of the tenant that contain dataID.
func (q Q) DatasetsWithData(ctx context.Context, tenantID, dataID int64) ([]Dataset, error) {
	var ds []Dataset
	return ds, q.list(ctx, &ds, `SELECT `+datasetCols+` FROM datasets WHERE tenant_id = ? AND id IN
		(SELECT dataset_id FROM dataset_entries WHERE data_id = ?) ORDER BY id`, tenantID, dataID)
}

// UnlockDataset undoes LockDataset when the job that locked it was never
// recorded.
func (q Q) UnlockDataset(ctx context.Context, tenantID, id int64) error {
	return q.mustOne(q.exec(ctx, `UPDATE datasets SET is_locked = FALSE WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

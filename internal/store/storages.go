package store

import (
	"context"
	"time"
)

const storageCols = `id, name, server_address, access_key, secret_key, region, bucket, path_style, directory,
	nfs_server, nfs_root, created_by, created_at, modified_by, modified_at`

func (q Q) StorageByID(ctx context.Context, id int64) (Storage, error) {
	var s Storage
	return s, q.get(ctx, &s, `SELECT `+storageCols+` FROM storages WHERE id = ?`, id)
}

func (q Q) ListStorages(ctx context.Context) ([]Storage, error) {
	var ss []Storage
	return ss, q.list(ctx, &ss, `SELECT `+storageCols+` FROM storages ORDER BY id`)
}

func (q Q) InsertStorage(ctx context.Context, s Storage, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO storages (name, server_address, access_key, secret_key, region, bucket,
		path_style, directory, nfs_server, nfs_root, created_by, created_at, modified_by, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Name, s.ServerAddress, s.AccessKey, s.SecretSealed, s.Region, s.Bucket, s.PathStyle, s.Directory,
		s.NfsServer, s.NfsRoot, by, now, by, now)
}

func (q Q) UpdateStorage(ctx context.Context, s Storage, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE storages SET name = ?, server_address = ?, access_key = ?, secret_key = ?,
		region = ?, bucket = ?, path_style = ?, directory = ?, nfs_server = ?, nfs_root = ?, modified_by = ?,
		modified_at = ? WHERE id = ?`,
		s.Name, s.ServerAddress, s.AccessKey, s.SecretSealed, s.Region, s.Bucket, s.PathStyle, s.Directory,
		s.NfsServer, s.NfsRoot, by, now, s.ID))
}

func (q Q) DeleteStorage(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM storages WHERE id = ?`, id))
}

// TenantsOnStorage names the tenants whose files are on storage id.
func (q Q) TenantsOnStorage(ctx context.Context, id int64) ([]string, error) {
	var names []string
	return names, q.list(ctx, &names, `SELECT name FROM tenants WHERE storage_id = ? ORDER BY name`, id)
}

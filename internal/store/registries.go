package store

import (
	"context"
	"time"
)

// Registry is a container registry (the admin's Registry screen): where
// job images come from.
type Registry struct {
	ID            int64  `db:"id"`
	Name          string `db:"name"`
	Host          string `db:"host"`
	PortNo        int    `db:"port_no"`
	ServiceType   int    `db:"service_type"`
	ProjectName   string `db:"project_name"`
	APIURL        string `db:"api_url"`
	RegistryURL   string `db:"registry_url"`
	IsNotEditable bool   `db:"is_not_editable"`
	Audit
}

const registryCols = `id, name, host, port_no, service_type, project_name, api_url, registry_url, is_not_editable,
	created_by, created_at, modified_by, modified_at`

func (q Q) RegistryByID(ctx context.Context, id int64) (Registry, error) {
	var r Registry
	return r, q.get(ctx, &r, `SELECT `+registryCols+` FROM registries WHERE id = ?`, id)
}

func (q Q) ListRegistries(ctx context.Context) ([]Registry, error) {
	var rs []Registry
	return rs, q.list(ctx, &rs, `SELECT `+registryCols+` FROM registries ORDER BY id`)
}

func (q Q) InsertRegistry(ctx context.Context, r Registry, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO registries (name, host, port_no, service_type, project_name, api_url,
		registry_url, is_not_editable, created_by, created_at, modified_by, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Name, r.Host, r.PortNo, r.ServiceType, r.ProjectName, r.APIURL, r.RegistryURL, false, by, now, by, now)
}

func (q Q) UpdateRegistry(ctx context.Context, r Registry, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE registries SET name = ?, host = ?, port_no = ?, service_type = ?,
		project_name = ?, api_url = ?, registry_url = ?, modified_by = ?, modified_at = ?
		WHERE id = ? AND NOT is_not_editable`,
		r.Name, r.Host, r.PortNo, r.ServiceType, r.ProjectName, r.APIURL, r.RegistryURL, by, now, r.ID))
}

func (q Q) DeleteRegistry(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM registries WHERE id = ? AND NOT is_not_editable`, id))
}

// TenantsUsingRegistry names the tenants that may use registry id or have it as their default.
func (q Q) TenantsUsingRegistry(ctx context.Context, id int64) ([]string, error) {
	var names []string
	return names, q.list(ctx, &names, `SELECT name FROM tenants WHERE default_registry_id = ?
		OR id IN (SELECT tenant_id FROM tenant_registry_maps WHERE registry_id = ?) ORDER BY name`, id, id)
}

// RegistryLogin is the user's credentials for registry id in a tenant
// (empty when none are stored); ErrNoRows when the tenant may not use it.
type RegistryLogin struct {
	UserName       string `db:"user_name"`
	PasswordSealed string `db:"password_sealed"`
}

func (q Q) RegistryLogin(ctx context.Context, userID, tenantID, registryID int64) (RegistryLogin, error) {
	var l RegistryLogin
	return l, q.get(ctx, &l, `SELECT COALESCE(c.user_name, '') AS user_name, COALESCE(c.password_sealed, '') AS password_sealed
		FROM tenant_registry_maps m
		LEFT JOIN user_registry_credentials c ON c.registry_id = m.registry_id AND c.tenant_id = m.tenant_id AND c.user_id = ?
		WHERE m.tenant_id = ? AND m.registry_id = ?`, userID, tenantID, registryID)
}

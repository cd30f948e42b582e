package store

import (
	"context"
	"database/sql"
	"time"
)

// Git is a git server (the admin's Git screen): where jobs fetch code.
type Git struct {
	ID            int64  `db:"id"`
	Name          string `db:"name"`
	ServiceType   int    `db:"service_type"`
	APIURL        string `db:"api_url"`
	RepositoryURL string `db:"repository_url"`
	IsNotEditable bool   `db:"is_not_editable"`
	Audit
}

const gitCols = `id, name, service_type, api_url, repository_url, is_not_editable,
	created_by, created_at, modified_by, modified_at`

func (q Q) GitByID(ctx context.Context, id int64) (Git, error) {
	var g Git
	return g, q.get(ctx, &g, `SELECT `+gitCols+` FROM gits WHERE id = ?`, id)
}

func (q Q) ListGits(ctx context.Context) ([]Git, error) {
	var gs []Git
	return gs, q.list(ctx, &gs, `SELECT `+gitCols+` FROM gits ORDER BY id`)
}

func (q Q) InsertGit(ctx context.Context, g Git, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO gits (name, service_type, api_url, repository_url, is_not_editable,
		created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.Name, g.ServiceType, g.APIURL, g.RepositoryURL, false, by, now, by, now)
}

func (q Q) UpdateGit(ctx context.Context, g Git, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE gits SET name = ?, service_type = ?, api_url = ?, repository_url = ?,
		modified_by = ?, modified_at = ? WHERE id = ? AND NOT is_not_editable`,
		g.Name, g.ServiceType, g.APIURL, g.RepositoryURL, by, now, g.ID))
}

func (q Q) DeleteGit(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM gits WHERE id = ? AND NOT is_not_editable`, id))
}

// TenantsUsingGit names the tenants that may use git id or have it as their default.
func (q Q) TenantsUsingGit(ctx context.Context, id int64) ([]string, error) {
	var names []string
	return names, q.list(ctx, &names, `SELECT name FROM tenants WHERE default_git_id = ?
		OR id IN (SELECT tenant_id FROM tenant_git_maps WHERE git_id = ?) ORDER BY name`, id, id)
}

// GitToken is the user's sealed token for git id in a tenant; it is invalid
// (not an error) when the user stored none, and ErrNoRows when the tenant
// may not use that git server.
func (q Q) GitToken(ctx context.Context, userID, tenantID, gitID int64) (sql.NullString, error) {
	var tok sql.NullString
	return tok, q.get(ctx, &tok, `SELECT c.token_sealed FROM tenant_git_maps m
		LEFT JOIN user_git_tokens c ON c.git_id = m.git_id AND c.tenant_id = m.tenant_id AND c.user_id = ?
		WHERE m.tenant_id = ? AND m.git_id = ?`, userID, tenantID, gitID)
}

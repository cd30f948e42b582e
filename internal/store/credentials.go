package store

import (
	"context"
	"database/sql"
	"time"
)

// GitCredential is a git endpoint of a tenant with the user's sealed token.
type GitCredential struct {
	ID          int64          `db:"id"`
	Name        string         `db:"name"`
	ServiceType int            `db:"service_type"`
	TokenSealed sql.NullString `db:"token_sealed"`
}

// RegistryCredential is a registry of a tenant with the user's credentials.
type RegistryCredential struct {
	ID             int64          `db:"id"`
	Name           string         `db:"name"`
	ProjectName    string         `db:"project_name"`
	ServiceType    int            `db:"service_type"`
	UserName       sql.NullString `db:"user_name"`
	PasswordSealed sql.NullString `db:"password_sealed"`
}

// GitCredentials lists the git endpoints a tenant may use with the user's tokens.
func (q Q) GitCredentials(ctx context.Context, userID, tenantID int64) ([]GitCredential, error) {
	var out []GitCredential
	return out, q.list(ctx, &out, `SELECT g.id, g.name, g.service_type, c.token_sealed
		FROM tenant_git_maps m JOIN gits g ON g.id = m.git_id
		LEFT JOIN user_git_tokens c ON c.git_id = g.id AND c.user_id = ? AND c.tenant_id = m.tenant_id
		WHERE m.tenant_id = ? ORDER BY g.id`, userID, tenantID)
}

// SetGitToken stores the user's sealed token for a git endpoint in a tenant.
func (q Q) SetGitToken(ctx context.Context, userID, tenantID, gitID int64, sealed string, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM user_git_tokens WHERE user_id = ? AND tenant_id = ? AND git_id = ?`,
		userID, tenantID, gitID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO user_git_tokens (user_id, tenant_id, git_id, token_sealed, modified_at)
		VALUES (?, ?, ?, ?, ?)`, userID, tenantID, gitID, sealed, now)
	return err
}

// RegistryCredentials lists the registries a tenant may use with the user's credentials.
func (q Q) RegistryCredentials(ctx context.Context, userID, tenantID int64) ([]RegistryCredential, error) {
	var out []RegistryCredential
	return out, q.list(ctx, &out, `SELECT r.id, r.name, r.project_name, r.service_type, c.user_name, c.password_sealed
		FROM tenant_registry_maps m JOIN registries r ON r.id = m.registry_id
		LEFT JOIN user_registry_credentials c ON c.registry_id = r.id AND c.user_id = ? AND c.tenant_id = m.tenant_id
		WHERE m.tenant_id = ? ORDER BY r.id`, userID, tenantID)
}

// SetRegistryCredential stores the user's credentials for a registry in a tenant.
func (q Q) SetRegistryCredential(ctx context.Context, userID, tenantID, registryID int64, user, sealed string, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM user_registry_credentials WHERE user_id = ? AND tenant_id = ? AND registry_id = ?`,
		userID, tenantID, registryID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO user_registry_credentials (user_id, tenant_id, registry_id, user_name, password_sealed, modified_at)
		VALUES (?, ?, ?, ?, ?, ?)`, userID, tenantID, registryID, user, sealed, now)
	return err
}

package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// JWTSecret returns the install's token signing secret, creating it on first
// use. The row has the fixed id 1 and the insert yields to an existing one,
// so replicas starting together agree on one secret.
func (db *DB) JWTSecret(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	q := db.Q()
	if _, err := q.exec(ctx, `INSERT INTO settings (id, jwt_secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`,
		base64.StdEncoding.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	var secret string
	if err := q.get(ctx, &secret, `SELECT jwt_secret FROM settings WHERE id = 1`); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return base64.StdEncoding.DecodeString(secret)
}

// LockUser keeps other transactions from changing the user's memberships
// and roles until this one ends; every transaction that changes them takes
// it first. SQLite transactions already hold the write lock (they begin
// IMMEDIATE); PostgreSQL locks the user's row, in the mode that still lets
// other rows reference it.
func (q Q) LockUser(ctx context.Context, id int64) error {
	if q.dialect != Postgres {
		return nil
	}
	var got int64
	return q.get(ctx, &got, `SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE`, id)
}

// roleNamesLock is the advisory lock key that serialises role-name checks.
const roleNamesLock = 0x6b71_0002

// LockRoleNames serialises transactions that check and claim role names,
// which span scopes (a common role's name is taken in every tenant) and so
// cannot rest on one unique index.
func (q Q) LockRoleNames(ctx context.Context) error {
	if q.dialect != Postgres {
		return nil
	}
	_, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(roleNamesLock))
	return err
}

// ---- users

const userCols = `id, name, display_name, default_tenant_id, service_type, password_hash,
	token_generation, slack_url, mention, created_by, created_at, modified_by, modified_at`

func (q Q) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	return u, q.get(ctx, &u, `SELECT `+userCols+` FROM users WHERE name = ?`, name)
}

func (q Q) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	return u, q.get(ctx, &u, `SELECT `+userCols+` FROM users WHERE id = ?`, id)
}

func (q Q) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	return us, q.list(ctx, &us, `SELECT `+userCols+` FROM users ORDER BY id`)
}

func (q Q) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	return n, q.get(ctx, &n, `SELECT COUNT(*) FROM users`)
}

func (q Q) InsertUser(ctx context.Context, u User, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO users (name, display_name, default_tenant_id, service_type, password_hash,
		created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.DisplayName, u.DefaultTenantID, u.ServiceType, u.PasswordHash, by, now, by, now)
}

// SetPassword stores a new hash and bumps the token generation, which
// revokes every token issued before.
func (q Q) SetPassword(ctx context.Context, id int64, hash, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE users SET password_hash = ?, token_generation = token_generation + 1,
		modified_by = ?, modified_at = ? WHERE id = ?`, hash, by, now, id))
}

func (q Q) SetDisplayName(ctx context.Context, id int64, name, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE users SET display_name = ?, modified_by = ?, modified_at = ? WHERE id = ?`,
		name, by, now, id))
}

func (q Q) SetDefaultTenant(ctx context.Context, id, tenantID int64, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE users SET default_tenant_id = ?, modified_by = ?, modified_at = ? WHERE id = ?`,
		tenantID, by, now, id))
}

func (q Q) SetSlack(ctx context.Context, id int64, url, mention, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE users SET slack_url = ?, mention = ?, modified_by = ?, modified_at = ? WHERE id = ?`,
		url, mention, by, now, id))
}

func (q Q) DeleteUser(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM users WHERE id = ?`, id))
}

func (q Q) mustOne(n int64, err error) error {
	if err == nil && n == 0 {
		return ErrNoRows
	}
	return err
}

// ---- memberships

const tenantCols = `t.id, t.name, t.display_name, t.storage_id, t.storage_bucket, t.default_git_id,
	t.default_registry_id, t.limit_cpu, t.limit_memory, t.limit_gpu, t.available_infinite_time_notebook,
	t.created_by, t.created_at, t.modified_by, t.modified_at`

// Memberships lists the tenants of the given users (all users when ids is empty).
func (q Q) Memberships(ctx context.Context, userIDs ...int64) ([]Membership, error) {
	var ms []Membership
	where, args := inClause("m.user_id", userIDs)
	return ms, q.list(ctx, &ms, `SELECT m.user_id, `+tenantCols+` FROM user_tenant_maps m
		JOIN tenants t ON t.id = m.tenant_id `+where+` ORDER BY m.user_id, t.id`, args...)
}

// MemberTenant returns the tenant when the user belongs to it, ErrNoRows
// when the tenant is gone or the user is not a member.
func (q Q) MemberTenant(ctx context.Context, userID, tenantID int64) (Tenant, error) {
	var t Tenant
	return t, q.get(ctx, &t, `SELECT `+tenantCols+` FROM user_tenant_maps m
		JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = ? AND m.tenant_id = ?`, userID, tenantID)
}

func (q Q) IsMember(ctx context.Context, userID, tenantID int64) (bool, error) {
	var n int64
	err := q.get(ctx, &n, `SELECT COUNT(*) FROM user_tenant_maps WHERE user_id = ? AND tenant_id = ?`, userID, tenantID)
	return n > 0, err
}

func (q Q) AddMembership(ctx context.Context, userID, tenantID int64) error {
	_, err := q.exec(ctx, `INSERT INTO user_tenant_maps (user_id, tenant_id) VALUES (?, ?)`, userID, tenantID)
	return err
}

// RemoveMembership drops the membership and the user's roles in that tenant.
func (q Q) RemoveMembership(ctx context.Context, userID, tenantID int64) error {
	if _, err := q.exec(ctx, `DELETE FROM user_role_maps WHERE user_id = ? AND tenant_id = ?`, userID, tenantID); err != nil {
		return err
	}
	return q.mustOne(q.exec(ctx, `DELETE FROM user_tenant_maps WHERE user_id = ? AND tenant_id = ?`, userID, tenantID))
}

// TenantMemberIDs lists the ids of the users of a tenant.
func (q Q) TenantMemberIDs(ctx context.Context, tenantID int64) ([]int64, error) {
	var ids []int64
	return ids, q.list(ctx, &ids, `SELECT user_id FROM user_tenant_maps WHERE tenant_id = ? ORDER BY user_id`, tenantID)
}

// ---- user roles

const roleCols = `r.id, r.name, r.display_name, r.sort_order, r.tenant_id, r.is_system_role, r.is_not_editable,
	r.created_by, r.created_at, r.modified_by, r.modified_at`

// UserRoles lists the roles of the given users (all users when ids is empty),
// system roles with a NULL tenant.
func (q Q) UserRoles(ctx context.Context, userIDs ...int64) ([]UserRole, error) {
	var rs []UserRole
	where, args := inClause("m.user_id", userIDs)
	return rs, q.list(ctx, &rs, `SELECT m.user_id, m.tenant_id AS in_tenant_id, `+roleCols+` FROM user_role_maps m
		JOIN roles r ON r.id = m.role_id `+where+` ORDER BY m.user_id, r.sort_order, r.id`, args...)
}

// SetUserRoles replaces the user's roles in one scope: the system scope when
// tenantID is 0, otherwise that tenant.
func (q Q) SetUserRoles(ctx context.Context, userID, tenantID int64, roleIDs []int64) error {
	if tenantID == 0 {
		if _, err := q.exec(ctx, `DELETE FROM user_role_maps WHERE user_id = ? AND tenant_id IS NULL`, userID); err != nil {
			return err
		}
	} else if _, err := q.exec(ctx, `DELETE FROM user_role_maps WHERE user_id = ? AND tenant_id = ?`, userID, tenantID); err != nil {
		return err
	}
	for _, rid := range roleIDs {
		if _, err := q.exec(ctx, `INSERT INTO user_role_maps (user_id, role_id, tenant_id, scope_key) VALUES (?, ?, ?, ?)`,
			userID, rid, NullInt(tenantID), tenantID); err != nil {
			return err
		}
	}
	return nil
}

// ---- tenants

func (q Q) TenantByID(ctx context.Context, id int64) (Tenant, error) {
	var t Tenant
	return t, q.get(ctx, &t, `SELECT `+tenantCols+` FROM tenants t WHERE t.id = ?`, id)
}

func (q Q) TenantByName(ctx context.Context, name string) (Tenant, error) {
	var t Tenant
	return t, q.get(ctx, &t, `SELECT `+tenantCols+` FROM tenants t WHERE t.name = ?`, name)
}

func (q Q) ListTenants(ctx context.Context) ([]Tenant, error) {
	var ts []Tenant
	return ts, q.list(ctx, &ts, `SELECT `+tenantCols+` FROM tenants t ORDER BY t.id`)
}

func (q Q) InsertTenant(ctx context.Context, t Tenant, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO tenants (name, display_name, storage_id, storage_bucket, default_git_id,
		default_registry_id, available_infinite_time_notebook, created_by, created_at, modified_by, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Name, t.DisplayName, t.StorageID, t.StorageBucket, t.DefaultGitID, t.DefaultRegistryID,
		t.AvailableInfiniteTimeNotebook, by, now, by, now)
}

func (q Q) UpdateTenant(ctx context.Context, t Tenant, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE tenants SET display_name = ?, storage_id = ?, default_git_id = ?,
		default_registry_id = ?, available_infinite_time_notebook = ?, modified_by = ?, modified_at = ? WHERE id = ?`,
		t.DisplayName, t.StorageID, t.DefaultGitID, t.DefaultRegistryID, t.AvailableInfiniteTimeNotebook, by, now, t.ID))
}

// DeleteTenant removes a tenant; memberships, role maps and custom roles go
// with it. Users whose default tenant it was fall back to no default.
func (q Q) DeleteTenant(ctx context.Context, id int64) error {
	if _, err := q.exec(ctx, `UPDATE users SET default_tenant_id = NULL WHERE default_tenant_id = ?`, id); err != nil {
		return err
	}
	return q.mustOne(q.exec(ctx, `DELETE FROM tenants WHERE id = ?`, id))
}

// TenantLinks returns the git and registry ids a tenant may use.
func (q Q) TenantLinks(ctx context.Context, tenantID int64) (gits, registries []int64, err error) {
	if err = q.list(ctx, &gits, `SELECT git_id FROM tenant_git_maps WHERE tenant_id = ? ORDER BY git_id`, tenantID); err != nil {
		return nil, nil, err
	}
	err = q.list(ctx, &registries, `SELECT registry_id FROM tenant_registry_maps WHERE tenant_id = ? ORDER BY registry_id`, tenantID)
	return gits, registries, err
}

// SetTenantLinks replaces the git and registry ids a tenant may use.
func (q Q) SetTenantLinks(ctx context.Context, tenantID int64, gits, registries []int64) error {
	if _, err := q.exec(ctx, `DELETE FROM tenant_git_maps WHERE tenant_id = ?`, tenantID); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM tenant_registry_maps WHERE tenant_id = ?`, tenantID); err != nil {
		return err
	}
	for _, g := range gits {
		if _, err := q.exec(ctx, `INSERT INTO tenant_git_maps (tenant_id, git_id) VALUES (?, ?)`, tenantID, g); err != nil {
			return err
		}
	}
	for _, r := range registries {
		if _, err := q.exec(ctx, `INSERT INTO tenant_registry_maps (tenant_id, registry_id) VALUES (?, ?)`, tenantID, r); err != nil {
			return err
		}
	}
	return nil
}

// ---- endpoints a tenant refers to

// Gits and Registries list id and name of every git endpoint / registry.
func (q Q) Gits(ctx context.Context) ([]Named, error) {
	var ns []Named
	return ns, q.list(ctx, &ns, `SELECT id, name FROM gits ORDER BY id`)
}

func (q Q) Registries(ctx context.Context) ([]Named, error) {
	var ns []Named
	return ns, q.list(ctx, &ns, `SELECT id, name FROM registries ORDER BY id`)
}

// ---- roles

func (q Q) ListRoles(ctx context.Context) ([]Role, error) {
	var rs []Role
	return rs, q.list(ctx, &rs, `SELECT `+roleCols+` FROM roles r ORDER BY r.sort_order, r.id`)
}

func (q Q) RoleByID(ctx context.Context, id int64) (Role, error) {
	var r Role
	return r, q.get(ctx, &r, `SELECT `+roleCols+` FROM roles r WHERE r.id = ?`, id)
}

// RolesForTenant lists the tenant roles usable in a tenant: the common ones
// and the tenant's own custom roles.
func (q Q) RolesForTenant(ctx context.Context, tenantID int64) ([]Role, error) {
	var rs []Role
	return rs, q.list(ctx, &rs, `SELECT `+roleCols+` FROM roles r WHERE r.is_system_role = FALSE
		AND (r.tenant_id IS NULL OR r.tenant_id = ?) ORDER BY r.sort_order, r.id`, tenantID)
}

func (q Q) InsertRole(ctx context.Context, r Role, by string, now time.Time) (int64, error) {
	return q.insert(ctx, `INSERT INTO roles (name, display_name, sort_order, tenant_id, scope_key, is_system_role,
		created_by, created_at, modified_by, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Name, r.DisplayName, r.SortOrder, r.TenantID, r.TenantID.Int64, r.IsSystemRole, by, now, by, now)
}

func (q Q) UpdateRole(ctx context.Context, r Role, by string, now time.Time) error {
	return q.mustOne(q.exec(ctx, `UPDATE roles SET name = ?, display_name = ?, sort_order = ?,
		modified_by = ?, modified_at = ? WHERE id = ?`, r.Name, r.DisplayName, r.SortOrder, by, now, r.ID))
}

func (q Q) DeleteRole(ctx context.Context, id int64) error {
	return q.mustOne(q.exec(ctx, `DELETE FROM roles WHERE id = ?`, id))
}

// RoleNameTaken reports whether a role name clashes with a common role or a
// custom role of the same tenant (tenantID 0: with any role).
func (q Q) RoleNameTaken(ctx context.Context, name string, tenantID, exceptID int64) (bool, error) {
	var n int64
	query := `SELECT COUNT(*) FROM roles WHERE name = ? AND id <> ?`
	args := []any{name, exceptID}
	if tenantID != 0 {
		query += ` AND (tenant_id IS NULL OR tenant_id = ?)`
		args = append(args, tenantID)
	}
	err := q.get(ctx, &n, query, args...)
	return n > 0, err
}

// ---- menus × roles

// MenuRole is one permission: role RoleID may open menu MenuCode.
type MenuRole struct {
	MenuCode string `db:"menu_code"`
	RoleID   int64  `db:"role_id"`
}

func (q Q) MenuRoles(ctx context.Context) ([]MenuRole, error) {
	var ms []MenuRole
	return ms, q.list(ctx, &ms, `SELECT menu_code, role_id FROM menu_role_maps ORDER BY menu_code, role_id`)
}

// MenuRolesOf lists the permissions held by any of the roles.
func (q Q) MenuRolesOf(ctx context.Context, roleIDs []int64) ([]MenuRole, error) {
	if len(roleIDs) == 0 {
		return nil, nil
	}
	var ms []MenuRole
	where, args := inClause("role_id", roleIDs)
	return ms, q.list(ctx, &ms, `SELECT menu_code, role_id FROM menu_role_maps `+where, args...)
}

// SetMenuRoles replaces the roles of a menu among the given candidate roles
// (so a tenant manager only touches his tenant's custom roles).
func (q Q) SetMenuRoles(ctx context.Context, code string, candidates, roleIDs []int64) error {
	if len(candidates) > 0 {
		where, args := inClause("role_id", candidates)
		if _, err := q.exec(ctx, `DELETE FROM menu_role_maps `+where+` AND menu_code = ?`, append(args, code)...); err != nil {
			return err
		}
	}
	for _, rid := range roleIDs {
		if _, err := q.exec(ctx, `INSERT INTO menu_role_maps (menu_code, role_id) VALUES (?, ?)`, code, rid); err != nil {
			return err
		}
	}
	return nil
}

func inClause(col string, ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	args := make([]any, len(ids))
	ph := make([]byte, 0, len(ids)*2)
	for i, id := range ids {
		args[i] = id
		if i > 0 {
			ph = append(ph, ',')
		}
		ph = append(ph, '?')
	}
	return "WHERE " + col + " IN (" + string(ph) + ")", args
}

package identity

import (
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// These are the JSON shapes of the original API (camelCase field names,
// including its spelling of userGroupTanantMapIdLists).

// AuditView is the who/when part of most outputs.
type AuditView = audit.View

func auditView(a store.Audit) AuditView { return audit.Of(a) }

// RoleInfo is a role as shown inside user and account views.
type RoleInfo struct {
	ID                        int64   `json:"id"`
	Name                      string  `json:"name"`
	DisplayName               string  `json:"displayName"`
	IsCustomed                bool    `json:"isCustomed"`
	SortOrder                 int     `json:"sortOrder"`
	IsOrigin                  bool    `json:"isOrigin"`
	UserGroupTanantMapIDLists []int64 `json:"userGroupTanantMapIdLists"`
}

func roleInfo(r store.Role) RoleInfo {
	return RoleInfo{ID: r.ID, Name: r.Name, DisplayName: r.DisplayName, IsCustomed: r.TenantID.Valid,
		SortOrder: r.SortOrder, IsOrigin: true, UserGroupTanantMapIDLists: []int64{}}
}

// TenantInfo is a tenant membership as shown inside user and account views.
type TenantInfo struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	DisplayName string     `json:"displayName"`
	Default     bool       `json:"default"`
	Roles       []RoleInfo `json:"roles"`
	IsOrigin    bool       `json:"isOrigin"`
}

// userTenants builds the TenantInfo list of one user from its memberships
// and roles.
func userTenants(u store.User, ms []store.Membership, roles []store.UserRole) []TenantInfo {
	out := []TenantInfo{}
	for _, m := range ms {
		if m.UserID != u.ID {
			continue
		}
		ti := TenantInfo{ID: m.ID, Name: m.Name, DisplayName: m.DisplayName, IsOrigin: true,
			Default: u.DefaultTenantID.Valid && u.DefaultTenantID.Int64 == m.ID, Roles: []RoleInfo{}}
		for _, r := range roles {
			if r.UserID == u.ID && r.InTenant.Valid && r.InTenant.Int64 == m.ID {
				ti.Roles = append(ti.Roles, roleInfo(r.Role))
			}
		}
		out = append(out, ti)
	}
	return out
}

func systemRoles(u store.User, roles []store.UserRole) []RoleInfo {
	out := []RoleInfo{}
	for _, r := range roles {
		if r.UserID == u.ID && !r.InTenant.Valid {
			out = append(out, roleInfo(r.Role))
		}
	}
	return out
}

func nullID(v int64, ok bool) *int64 {
	if !ok {
		return nil
	}
	return &v
}

package identity

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// UserView is a user as administrators see it.
type UserView struct {
	AuditView
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	DisplayName string       `json:"displayName"`
	ServiceType int          `json:"serviceType"`
	SystemRoles []RoleInfo   `json:"systemRoles"`
	Tenants     []TenantInfo `json:"tenants"`
}

// TenantUserView is a user as a tenant manager sees it: roles in this tenant.
type TenantUserView struct {
	AuditView
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	DisplayName string     `json:"displayName"`
	ServiceType int        `json:"serviceType"`
	Roles       []RoleInfo `json:"roles"`
}

// UserTenantInput is one tenant membership in a user create/edit body.
type UserTenantInput struct {
	ID      int64   `json:"id"`
	Default bool    `json:"default"`
	Roles   []int64 `json:"roles"`
}

// UserInput is the body of POST /admin/users (PUT uses SystemRoles and Tenants).
type UserInput struct {
	Name        string            `json:"name,omitempty"`
	DisplayName string            `json:"displayName,omitempty"`
	Password    string            `json:"password,omitempty"`
	SystemRoles []int64           `json:"systemRoles"`
	Tenants     []UserTenantInput `json:"tenants"`
}

// ListUsers returns every user with its roles and tenants.
func (s *Service) ListUsers(ctx context.Context) ([]UserView, error) {
	q := s.db.Q()
	users, err := q.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := q.Memberships(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := q.UserRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, 0, len(users))
	for _, u := range users {
		out = append(out, userView(u, ms, roles))
	}
	return out, nil
}

func userView(u store.User, ms []store.Membership, roles []store.UserRole) UserView {
	return UserView{AuditView: auditView(u.Audit), ID: u.ID, Name: u.Name, DisplayName: u.DisplayName,
		ServiceType: u.ServiceType, SystemRoles: systemRoles(u, roles), Tenants: userTenants(u, ms, roles)}
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, id int64) (UserView, error) {
	return s.userView(ctx, s.db.Q(), id)
}

func (s *Service) userView(ctx context.Context, q store.Q, id int64) (UserView, error) {
	u, err := q.UserByID(ctx, id)
	if err != nil {
		return UserView{}, notFound(err, "user", id)
	}
	ms, err := q.Memberships(ctx, id)
	if err != nil {
		return UserView{}, err
	}
	roles, err := q.UserRoles(ctx, id)
	if err != nil {
		return UserView{}, err
	}
	return userView(u, ms, roles), nil
}

// CreateUser creates a local user with its system roles and tenants.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (UserView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return UserView{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := checkUserName(in.Name); err != nil {
		return UserView{}, err
	}
	if err := checkDisplayName(in.DisplayName, false); err != nil {
		return UserView{}, err
	}
	if err := auth.CheckPassword(in.Password); err != nil {
		return UserView{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return UserView{}, err
	}
	var out UserView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if _, err := q.UserByName(ctx, in.Name); err == nil {
			return apperr.Conflict("user %s already exists", in.Name)
		} else if !errors.Is(err, store.ErrNoRows) {
			return err
		}
		display := strings.TrimSpace(in.DisplayName)
		if display == "" {
			display = in.Name
		}
		id, err := q.InsertUser(ctx, store.User{Name: in.Name, DisplayName: display,
			ServiceType: store.UserServiceLocal, PasswordHash: hash}, p.UserName, s.now())
		if err != nil {
			if store.IsUnique(err) {
				return apperr.Conflict("user %s already exists", in.Name)
			}
			return err
		}
		if err := s.applyUserRoles(ctx, q, id, in, p.UserName); err != nil {
			return err
		}
		out, err = s.userView(ctx, q, id)
		return err
	})
	return out, err
}

// EditUser replaces a user's system roles and tenant memberships.
func (s *Service) EditUser(ctx context.Context, id int64, in UserInput) (UserView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return UserView{}, err
	}
	var out UserView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := q.LockUser(ctx, id); err != nil {
			return notFound(err, "user", id)
		}
		u, err := q.UserByID(ctx, id)
		if err != nil {
			return notFound(err, "user", id)
		}
		if u.Name == AdminName {
			if err := keepsAdminsRole(ctx, q, in.SystemRoles); err != nil {
				return err
			}
		}
		old, err := q.Memberships(ctx, id)
		if err != nil {
			return err
		}
		for _, m := range old {
			if err := q.RemoveMembership(ctx, id, m.ID); err != nil {
				return err
			}
		}
		if err := s.applyUserRoles(ctx, q, id, in, p.UserName); err != nil {
			return err
		}
		out, err = s.userView(ctx, q, id)
		return err
	})
	return out, err
}

// keepsAdminsRole refuses to take the built-in admins role from the admin
// user: another system role could grant no menus at all, and then nobody
// could be sure to administer the system.
func keepsAdminsRole(ctx context.Context, q store.Q, roleIDs []int64) error {
	roles, err := q.ListRoles(ctx)
	if err != nil {
		return err
	}
	if id, ok := adminsRoleID(roles); ok && !slices.Contains(roleIDs, id) {
		return apperr.Invalid("the admin user must keep the %s system role", AdminsRole).
			WithDetail("otherwise nobody could be sure to administer the system")
	}
	return nil
}

// adminsRoleID finds the built-in admins system role among roles.
func adminsRoleID(roles []store.Role) (int64, bool) {
	i := slices.IndexFunc(roles, func(r store.Role) bool { return r.Name == AdminsRole && r.IsSystemRole && !r.TenantID.Valid })
	if i < 0 {
		return 0, false
	}
	return roles[i].ID, true
}

// applyUserRoles validates and stores the system roles and tenants of a user.
func (s *Service) applyUserRoles(ctx context.Context, q store.Q, userID int64, in UserInput, by string) error {
	if len(in.Tenants) == 0 {
		return apperr.Invalid("tenants is required").WithDetail("a user must belong to at least one tenant")
	}
	roles, err := q.ListRoles(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]store.Role{}
	for _, r := range roles {
		byID[r.ID] = r
	}
	sys := dedupe(in.SystemRoles)
	for _, rid := range sys {
		r, ok := byID[rid]
		if !ok {
			return apperr.NotFound("role %d is not found", rid)
		}
		if !r.IsSystemRole {
			return apperr.Invalid("role %s is not a system role", r.Name).WithDetail("give it as a tenant role instead")
		}
	}
	if err := q.SetUserRoles(ctx, userID, 0, sys); err != nil {
		return err
	}
	defaultID, seen := int64(0), map[int64]bool{}
	for _, ti := range in.Tenants {
		if seen[ti.ID] {
			return apperr.Invalid("tenant %d is listed twice", ti.ID)
		}
		seen[ti.ID] = true
		if _, err := q.TenantByID(ctx, ti.ID); err != nil {
			return notFound(err, "tenant", ti.ID)
		}
		trs := dedupe(ti.Roles)
		for _, rid := range trs {
			r, ok := byID[rid]
			if !ok {
				return apperr.NotFound("role %d is not found", rid)
			}
			if r.IsSystemRole {
				return apperr.Invalid("role %s is a system role", r.Name).WithDetail("give it in systemRoles instead")
			}
			if r.TenantID.Valid && r.TenantID.Int64 != ti.ID {
				return apperr.Invalid("role %s belongs to another tenant", r.Name)
			}
		}
		if err := q.AddMembership(ctx, userID, ti.ID); err != nil {
			return err
		}
		if err := q.SetUserRoles(ctx, userID, ti.ID, trs); err != nil {
			return err
		}
		if ti.Default {
			if defaultID != 0 {
				return apperr.Invalid("more than one default tenant").WithDetail("mark exactly one tenant as default")
			}
			defaultID = ti.ID
		}
	}
	if defaultID == 0 {
		defaultID = in.Tenants[0].ID
	}
	return q.SetDefaultTenant(ctx, userID, defaultID, by, s.now())
}

// DeleteUser deletes a user; the admin user and the caller cannot be deleted.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	q := s.db.Q()
	u, err := q.UserByID(ctx, id)
	if err != nil {
		return notFound(err, "user", id)
	}
	if u.Name == AdminName {
		return apperr.Invalid("the admin user cannot be deleted")
	}
	if u.ID == p.UserID {
		return apperr.Invalid("you cannot delete yourself").WithDetail("ask another administrator")
	}
	return notFound(q.DeleteUser(ctx, id), "user", id)
}

// ResetPassword sets a local user's password (administrators).
func (s *Service) ResetPassword(ctx context.Context, id int64, pw string) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	u, err := s.db.Q().UserByID(ctx, id)
	if err != nil {
		return notFound(err, "user", id)
	}
	if u.ServiceType != store.UserServiceLocal {
		return apperr.Invalid("user %s is not a local user", u.Name)
	}
	return s.setPassword(ctx, id, pw, p.UserName)
}

// ResetPasswordByName sets a user's password from the command line.
func (s *Service) ResetPasswordByName(ctx context.Context, name, pw string) error {
	u, err := s.db.Q().UserByName(ctx, name)
	if err != nil {
		return notFound(err, "user", name)
	}
	return s.setPassword(ctx, u.ID, pw, "cli")
}

// SetUserDisplayName changes a user's display name (administrators).
func (s *Service) SetUserDisplayName(ctx context.Context, id int64, name string) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	if err := checkDisplayName(name, true); err != nil {
		return err
	}
	return notFound(s.db.Q().SetDisplayName(ctx, id, strings.TrimSpace(name), p.UserName, s.now()), "user", id)
}

// ---- users of the caller's tenant (tenant managers)

// ListTenantUsers lists the users of the caller's tenant.
func (s *Service) ListTenantUsers(ctx context.Context) ([]TenantUserView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	ids, err := q.TenantMemberIDs(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]TenantUserView, 0, len(ids))
	for _, id := range ids {
		v, err := s.tenantUserView(ctx, q, p.TenantID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetTenantUser returns one user of the caller's tenant.
func (s *Service) GetTenantUser(ctx context.Context, id int64) (TenantUserView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantUserView{}, err
	}
	return s.tenantUserView(ctx, s.db.Q(), p.TenantID, id)
}

func (s *Service) tenantUserView(ctx context.Context, q store.Q, tenantID, id int64) (TenantUserView, error) {
	member, err := q.IsMember(ctx, id, tenantID)
	if err != nil {
		return TenantUserView{}, err
	}
	if !member {
		return TenantUserView{}, apperr.NotFound("user %d is not found in this tenant", id)
	}
	u, err := q.UserByID(ctx, id)
	if err != nil {
		return TenantUserView{}, notFound(err, "user", id)
	}
	roles, err := q.UserRoles(ctx, id)
	if err != nil {
		return TenantUserView{}, err
	}
	v := TenantUserView{AuditView: auditView(u.Audit), ID: u.ID, Name: u.Name, DisplayName: u.DisplayName,
		ServiceType: u.ServiceType, Roles: []RoleInfo{}}
	for _, r := range roles {
		if r.InTenant.Valid && r.InTenant.Int64 == tenantID {
			v.Roles = append(v.Roles, roleInfo(r.Role))
		}
	}
	return v, nil
}

// RemoveTenantUser removes a user from the caller's tenant (not oneself).
func (s *Service) RemoveTenantUser(ctx context.Context, id int64) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	if id == p.UserID {
		return apperr.Invalid("you cannot remove yourself from the tenant")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		// Two removals at once must not both see "another tenant is left".
		if err := q.LockUser(ctx, id); err != nil {
			return notFound(err, "user", id)
		}
		if _, err := s.tenantUserView(ctx, q, p.TenantID, id); err != nil {
			return err
		}
		ms, err := q.Memberships(ctx, id)
		if err != nil {
			return err
		}
		if len(ms) == 1 {
			return apperr.Conflict("this is the user's only tenant").
				WithDetail("ask an administrator to delete the user or add another tenant first")
		}
		if err := q.RemoveMembership(ctx, id, p.TenantID); err != nil {
			return err
		}
		u, err := q.UserByID(ctx, id)
		if err != nil {
			return err
		}
		if !u.DefaultTenantID.Valid || u.DefaultTenantID.Int64 == p.TenantID {
			for _, m := range ms {
				if m.ID != p.TenantID {
					return q.SetDefaultTenant(ctx, id, m.ID, p.UserName, s.now())
				}
			}
		}
		return nil
	})
}

// SetTenantUserRoles replaces a user's roles in the caller's tenant.
func (s *Service) SetTenantUserRoles(ctx context.Context, id int64, roleIDs []int64) (TenantUserView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantUserView{}, err
	}
	var out TenantUserView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := q.LockUser(ctx, id); err != nil {
			return notFound(err, "user", id)
		}
		if _, err := s.tenantUserView(ctx, q, p.TenantID, id); err != nil {
			return err
		}
		usable, err := q.RolesForTenant(ctx, p.TenantID)
		if err != nil {
			return err
		}
		ok := map[int64]bool{}
		for _, r := range usable {
			ok[r.ID] = true
		}
		roleIDs = dedupe(roleIDs)
		for _, rid := range roleIDs {
			if !ok[rid] {
				return apperr.Invalid("role %d cannot be given in this tenant", rid).
					WithDetail("system roles and other tenants' roles are refused")
			}
		}
		if err := q.SetUserRoles(ctx, id, p.TenantID, roleIDs); err != nil {
			return err
		}
		out, err = s.tenantUserView(ctx, q, p.TenantID, id)
		return err
	})
	return out, err
}

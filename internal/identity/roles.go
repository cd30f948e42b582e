package identity

import (
	"context"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// RoleView is a role in lists.
type RoleView struct {
	AuditView
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	IsSystemRole bool   `json:"isSystemRole"`
	TenantID     *int64 `json:"tenantId"`
	SortOrder    int    `json:"sortOrder"`
}

// RoleDetails adds the tenant's name and whether the role is seeded.
type RoleDetails struct {
	RoleView
	TenantName    *string `json:"tenantName"`
	IsNotEditable bool    `json:"isNotEditable"`
}

// RoleInput is the body of role create and edit.
type RoleInput struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	SortOrder    *int   `json:"sortOrder"`
	IsSystemRole bool   `json:"isSystemRole"`
	TenantID     *int64 `json:"tenantId,omitempty"`
}

func roleView(r store.Role) RoleView {
	return RoleView{AuditView: auditView(r.Audit), ID: r.ID, Name: r.Name, DisplayName: r.DisplayName,
		IsSystemRole: r.IsSystemRole, TenantID: nullID(r.TenantID.Int64, r.TenantID.Valid), SortOrder: r.SortOrder}
}

func roleViews(rs []store.Role) []RoleView {
	out := make([]RoleView, 0, len(rs))
	for _, r := range rs {
		out = append(out, roleView(r))
	}
	return out
}

// ListRoles returns every role.
func (s *Service) ListRoles(ctx context.Context) ([]RoleView, error) {
	rs, err := s.db.Q().ListRoles(ctx)
	return roleViews(rs), err
}

// ListCommonTenantRoles returns the tenant roles usable in every tenant.
func (s *Service) ListCommonTenantRoles(ctx context.Context) ([]RoleView, error) {
	rs, err := s.db.Q().ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	var common []store.Role
	for _, r := range rs {
		if !r.IsSystemRole && !r.TenantID.Valid {
			common = append(common, r)
		}
	}
	return roleViews(common), nil
}

// GetRole returns one role.
func (s *Service) GetRole(ctx context.Context, id int64) (RoleDetails, error) {
	q := s.db.Q()
	r, err := q.RoleByID(ctx, id)
	if err != nil {
		return RoleDetails{}, notFound(err, "role", id)
	}
	d := RoleDetails{RoleView: roleView(r), IsNotEditable: r.IsNotEditable}
	if r.TenantID.Valid {
		t, err := q.TenantByID(ctx, r.TenantID.Int64)
		if err != nil {
			return RoleDetails{}, err
		}
		d.TenantName = &t.Name
	}
	return d, nil
}

func checkRoleInput(in *RoleInput) error {
	in.Name, in.DisplayName = strings.TrimSpace(in.Name), strings.TrimSpace(in.DisplayName)
	if err := checkRoleName(in.Name); err != nil {
		return err
	}
	if err := checkDisplayName(in.DisplayName, true); err != nil {
		return err
	}
	if in.SortOrder == nil {
		return apperr.Invalid("sortOrder is required")
	}
	if in.IsSystemRole && in.TenantID != nil && *in.TenantID != 0 {
		return apperr.Invalid("a system role cannot belong to a tenant").WithDetail("leave tenantId empty")
	}
	return nil
}

// CreateRole creates a system role, a common tenant role, or (tenantID set)
// a tenant's custom role.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (RoleView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RoleView{}, err
	}
	if err := checkRoleInput(&in); err != nil {
		return RoleView{}, err
	}
	var out RoleView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		tenantID := int64(0)
		if in.TenantID != nil && *in.TenantID != 0 {
			tenantID = *in.TenantID
			if _, err := q.TenantByID(ctx, tenantID); err != nil {
				return notFound(err, "tenant", tenantID)
			}
		}
		if err := q.LockRoleNames(ctx); err != nil {
			return err
		}
		taken, err := q.RoleNameTaken(ctx, in.Name, tenantID, 0)
		if err != nil {
			return err
		}
		if taken {
			return apperr.Conflict("role %s already exists", in.Name)
		}
		r := store.Role{Name: in.Name, DisplayName: in.DisplayName, SortOrder: *in.SortOrder,
			TenantID: store.NullInt(tenantID), IsSystemRole: in.IsSystemRole}
		id, err := q.InsertRole(ctx, r, p.UserName, s.now())
		if store.IsUnique(err) {
			return apperr.Conflict("role %s already exists", in.Name)
		} else if err != nil {
			return err
		}
		r, err = q.RoleByID(ctx, id)
		out = roleView(r)
		return err
	})
	return out, err
}

// EditRole edits a role; seeded roles only change their sort order, and no
// role changes between system, common and custom.
func (s *Service) EditRole(ctx context.Context, id int64, in RoleInput) (RoleView, error) {
	return s.editRole(ctx, id, in, 0)
}

func (s *Service) editRole(ctx context.Context, id int64, in RoleInput, tenantID int64) (RoleView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RoleView{}, err
	}
	if err := checkRoleInput(&in); err != nil {
		return RoleView{}, err
	}
	var out RoleView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		r, err := q.RoleByID(ctx, id)
		if err != nil || (tenantID != 0 && r.TenantID.Int64 != tenantID) {
			return notFound(orNoRows(err), "role", id)
		}
		if in.IsSystemRole != r.IsSystemRole || (tenantID == 0 && in.TenantID != nil && *in.TenantID != r.TenantID.Int64) {
			return apperr.Invalid("a role's kind cannot change").
				WithDetail("isSystemRole and tenantId are fixed at creation; create a new role instead")
		}
		if r.IsNotEditable {
			if in.Name != r.Name || in.DisplayName != r.DisplayName {
				return apperr.Invalid("role %s is built in", r.Name).WithDetail("only its sortOrder can change")
			}
		} else {
			if err := q.LockRoleNames(ctx); err != nil {
				return err
			}
			taken, err := q.RoleNameTaken(ctx, in.Name, r.TenantID.Int64, r.ID)
			if err != nil {
				return err
			}
			if taken {
				return apperr.Conflict("role %s already exists", in.Name)
			}
			r.Name, r.DisplayName = in.Name, in.DisplayName
		}
		r.SortOrder = *in.SortOrder
		if err := q.UpdateRole(ctx, r, p.UserName, s.now()); err != nil {
			return err
		}
		r, err = q.RoleByID(ctx, id)
		out = roleView(r)
		return err
	})
	return out, err
}

func orNoRows(err error) error {
	if err == nil {
		return store.ErrNoRows
	}
	return err
}

// DeleteRole deletes a role that is not built in.
func (s *Service) DeleteRole(ctx context.Context, id int64) error {
	return s.deleteRole(ctx, id, 0)
}

func (s *Service) deleteRole(ctx context.Context, id, tenantID int64) error {
	q := s.db.Q()
	r, err := q.RoleByID(ctx, id)
	if err != nil || (tenantID != 0 && r.TenantID.Int64 != tenantID) {
		return notFound(orNoRows(err), "role", id)
	}
	if r.IsNotEditable {
		return apperr.Invalid("role %s is built in and cannot be deleted", r.Name)
	}
	return notFound(q.DeleteRole(ctx, id), "role", id)
}

// ---- custom roles of the caller's tenant

// ListTenantRoles lists the roles usable in the caller's tenant.
func (s *Service) ListTenantRoles(ctx context.Context) ([]RoleView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.db.Q().RolesForTenant(ctx, p.TenantID)
	return roleViews(rs), err
}

// GetTenantRole returns a custom role of the caller's tenant.
func (s *Service) GetTenantRole(ctx context.Context, id int64) (RoleDetails, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RoleDetails{}, err
	}
	d, err := s.GetRole(ctx, id)
	if err != nil {
		return RoleDetails{}, err
	}
	if d.TenantID == nil || *d.TenantID != p.TenantID {
		return RoleDetails{}, apperr.NotFound("role %d is not found in this tenant", id)
	}
	return d, nil
}

// CreateTenantRole creates a custom role in the caller's tenant.
func (s *Service) CreateTenantRole(ctx context.Context, in RoleInput) (RoleView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RoleView{}, err
	}
	in.IsSystemRole, in.TenantID = false, &p.TenantID
	return s.CreateRole(ctx, in)
}

// EditTenantRole edits a custom role of the caller's tenant.
func (s *Service) EditTenantRole(ctx context.Context, id int64, in RoleInput) (RoleView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RoleView{}, err
	}
	in.IsSystemRole, in.TenantID = false, nil
	return s.editRole(ctx, id, in, p.TenantID)
}

// DeleteTenantRole deletes a custom role of the caller's tenant.
func (s *Service) DeleteTenantRole(ctx context.Context, id int64) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.deleteRole(ctx, id, p.TenantID)
}

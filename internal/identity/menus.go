package identity

import (
	"context"
	"slices"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// MenuRoleView is a role that may open a menu.
type MenuRoleView struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"` // the role's display name, as the original
	IsSystemRole bool   `json:"isSystemRole"`
}

// MenuView is one row of the administrator's role × menu matrix.
type MenuView struct {
	ID          int            `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	MenuType    int            `json:"menuType"`
	Roles       []MenuRoleView `json:"roles"`
}

// TenantMenuRoleView is a role in a tenant manager's matrix.
type TenantMenuRoleView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Editable bool   `json:"editable"`
}

// TenantMenuView is one row of a tenant manager's matrix.
type TenantMenuView struct {
	ID          int                  `json:"id"`
	Name        string               `json:"name"`
	MenuType    int                  `json:"menuType"`
	Description string               `json:"description"`
	Roles       []TenantMenuRoleView `json:"roles"`
}

// EnumInfo is an enum value.
type EnumInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// MenuTypes lists the menu type enum (tenantOnly: just Tenant).
func MenuTypes(tenantOnly bool) []EnumInfo {
	var out []EnumInfo
	for _, t := range []auth.MenuType{auth.MenuInternal, auth.MenuTenant, auth.MenuSystem, auth.MenuPublic} {
		if !tenantOnly || t == auth.MenuTenant {
			out = append(out, EnumInfo{ID: int(t), Name: auth.MenuTypeNames[t]})
		}
	}
	return out
}

func (s *Service) menuMatrix(ctx context.Context) (map[string][]store.Role, error) {
	q := s.db.Q()
	maps, err := q.MenuRoles(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := q.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]store.Role{}
	for _, r := range roles {
		byID[r.ID] = r
	}
	out := map[string][]store.Role{}
	for _, m := range maps {
		out[m.MenuCode] = append(out[m.MenuCode], byID[m.RoleID])
	}
	return out, nil
}

// ListMenus returns the administrator's matrix: every menu and its roles.
func (s *Service) ListMenus(ctx context.Context, lang string) ([]MenuView, error) {
	matrix, err := s.menuMatrix(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MenuView, 0, len(auth.Menus))
	for _, m := range auth.Menus {
		v := MenuView{ID: m.ID, Name: m.Name(lang), Description: m.Description(lang), MenuType: int(m.Type), Roles: []MenuRoleView{}}
		for _, r := range matrix[m.Code] {
			v.Roles = append(v.Roles, MenuRoleView{ID: r.ID, Name: r.DisplayName, IsSystemRole: r.IsSystemRole})
		}
		out = append(out, v)
	}
	return out, nil
}

// adminsKeep are the system menus the admins role never loses: with them
// an administrator can restore every other permission.
var adminsKeep = []string{auth.MenuCodeMenu, auth.MenuCodeRole, auth.MenuCodeUser}

// SetMenuRoles sets which roles may open a menu: tenant menus take tenant
// roles only, system menus system roles only.
func (s *Service) SetMenuRoles(ctx context.Context, menuID int, roleIDs []int64, lang string) (MenuView, error) {
	m, ok := auth.MenuByID(menuID)
	if !ok {
		return MenuView{}, apperr.NotFound("menu %d is not found", menuID)
	}
	if m.Type != auth.MenuTenant && m.Type != auth.MenuSystem {
		return MenuView{}, apperr.Invalid("menu %s is open to everyone and takes no roles", m.Code)
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		roles, err := q.ListRoles(ctx)
		if err != nil {
			return err
		}
		var candidates []int64
		for _, r := range roles {
			if r.IsSystemRole == (m.Type == auth.MenuSystem) {
				candidates = append(candidates, r.ID)
			}
		}
		roleIDs = dedupe(roleIDs)
		for _, rid := range roleIDs {
			if !slices.Contains(candidates, rid) {
				return apperr.Invalid("role %d cannot be given menu %s", rid, m.Code).
					WithDetail("tenant menus take tenant roles and system menus take system roles")
			}
		}
		if slices.Contains(adminsKeep, m.Code) {
			if id, ok := adminsRoleID(roles); ok && !slices.Contains(roleIDs, id) {
				return apperr.Invalid("the %s role keeps menu %s", AdminsRole, m.Code).
					WithDetail("without it nobody could be sure to give permissions back")
			}
		}
		return q.SetMenuRoles(ctx, m.Code, candidates, roleIDs)
	})
	if err != nil {
		return MenuView{}, err
	}
	all, err := s.ListMenus(ctx, lang)
	if err != nil {
		return MenuView{}, err
	}
	for _, v := range all {
		if v.ID == menuID {
			return v, nil
		}
	}
	return MenuView{}, apperr.NotFound("menu %d is not found", menuID)
}

// ListTenantMenus returns the tenant manager's matrix: tenant menus and the
// roles usable in the caller's tenant; the tenant's custom roles are editable.
func (s *Service) ListTenantMenus(ctx context.Context, lang string) ([]TenantMenuView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	matrix, err := s.menuMatrix(ctx)
	if err != nil {
		return nil, err
	}
	var out []TenantMenuView
	for _, m := range auth.Menus {
		if m.Type != auth.MenuTenant {
			continue
		}
		v := TenantMenuView{ID: m.ID, Name: m.Name(lang), Description: m.Description(lang), MenuType: int(m.Type),
			Roles: []TenantMenuRoleView{}}
		for _, r := range matrix[m.Code] {
			if r.TenantID.Valid && r.TenantID.Int64 != p.TenantID {
				continue // another tenant's custom role
			}
			v.Roles = append(v.Roles, TenantMenuRoleView{ID: r.ID, Name: r.DisplayName, Editable: r.TenantID.Valid})
		}
		out = append(out, v)
	}
	return out, nil
}

// SetTenantMenuRoles sets which of the tenant's custom roles may open a
// tenant menu; common roles are the administrator's to change.
func (s *Service) SetTenantMenuRoles(ctx context.Context, menuID int, roleIDs []int64, lang string) (TenantMenuView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantMenuView{}, err
	}
	m, ok := auth.MenuByID(menuID)
	if !ok || m.Type != auth.MenuTenant {
		return TenantMenuView{}, apperr.NotFound("tenant menu %d is not found", menuID)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		roles, err := q.RolesForTenant(ctx, p.TenantID)
		if err != nil {
			return err
		}
		var candidates []int64
		for _, r := range roles {
			if r.TenantID.Valid {
				candidates = append(candidates, r.ID)
			}
		}
		roleIDs = dedupe(roleIDs)
		for _, rid := range roleIDs {
			if !slices.Contains(candidates, rid) {
				return apperr.Invalid("role %d is not a custom role of this tenant", rid)
			}
		}
		if len(candidates) == 0 {
			return nil
		}
		return q.SetMenuRoles(ctx, m.Code, candidates, roleIDs)
	})
	if err != nil {
		return TenantMenuView{}, err
	}
	all, err := s.ListTenantMenus(ctx, lang)
	if err != nil {
		return TenantMenuView{}, err
	}
	for _, v := range all {
		if v.ID == menuID {
			return v, nil
		}
	}
	return TenantMenuView{}, apperr.NotFound("tenant menu %d is not found", menuID)
}

// MenuItem is an entry of the caller's side menu.
type MenuItem struct {
	Label    string     `json:"label"`
	Category string     `json:"category"`
	URL      string     `json:"url"`
	Children []MenuItem `json:"children,omitempty"`
}

// MenuCard is a dashboard card.
type MenuCard struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Category    string `json:"category"`
}

// MenuTree returns the side menu the caller may open, grouped.
func MenuTree(p *auth.Principal, lang string) []MenuItem {
	out := []MenuItem{}
	groupAt := map[string]int{} // index in out, since out grows
	for _, m := range auth.Menus {
		if !m.Side || !p.CanAccess(m.Code) {
			continue
		}
		item := MenuItem{Label: m.Name(lang), Category: m.Category, URL: m.URL}
		if m.Group == "" {
			out = append(out, item)
			continue
		}
		i, ok := groupAt[m.Group]
		if !ok {
			for _, mg := range auth.MenuGroups {
				if mg.Key == m.Group {
					label := mg.NameJa
					if lang == "en" {
						label = mg.NameEn
					}
					out = append(out, MenuItem{Label: label, Category: mg.Category})
					i = len(out) - 1
					groupAt[m.Group] = i
				}
			}
		}
		out[i].Children = append(out[i].Children, item)
	}
	return out
}

// MenuList returns the dashboard cards the caller may open.
func MenuList(p *auth.Principal, lang string) []MenuCard {
	out := []MenuCard{}
	for _, m := range auth.Menus {
		if m.Top && p.CanAccess(m.Code) {
			out = append(out, MenuCard{Name: m.Name(lang), Description: m.Description(lang), URL: m.URL, Category: m.Category})
		}
	}
	return out
}

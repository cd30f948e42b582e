package api

import (
	"net/http"
	"strconv"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

// VersionOutput is the running version.
type VersionOutput struct {
	Version  string   `json:"version"`
	Messages []string `json:"messages"`
}

func menuID(r *http.Request) (int, error) {
	raw := r.PathValue("id")
	id, err := strconv.Atoi(raw)
	if err != nil {
		return 0, apperr.Invalid("menu id %q is not a number", raw)
	}
	return id, nil
}

func (s *Server) menuRoutes() []*Route {
	const tag = "Menu"
	langQ := Param{"lang", "string", "ja (default) or en"}
	return []*Route{
		endpoint("GET", "/api/v2/admin/menus", func(r *http.Request) ([]identity.MenuView, error) {
			return s.id.ListMenus(r.Context(), lang(r))
		}).Perm(auth.MenuCodeMenu).Q(langQ).Doc(tag, "Every menu and the roles that may open it"),

		bodyEndpoint("PUT", "/api/v2/admin/menus/{id}", func(r *http.Request, roles []int64) (identity.MenuView, error) {
			id, err := menuID(r)
			if err != nil {
				return identity.MenuView{}, err
			}
			return s.id.SetMenuRoles(r.Context(), id, roles, lang(r))
		}).Perm(auth.MenuCodeMenu).Q(langQ).Doc(tag, "Set the roles that may open a menu (body: role ids)"),

		endpoint("GET", "/api/v2/admin/menu-types", func(*http.Request) ([]identity.EnumInfo, error) {
			return identity.MenuTypes(false), nil
		}).Perm(auth.MenuCodeMenu).Doc(tag, "Menu types"),

		endpoint("GET", "/api/v2/tenant/menus", func(r *http.Request) ([]identity.TenantMenuView, error) {
			return s.id.ListTenantMenus(r.Context(), lang(r))
		}).Perm(auth.MenuCodeTenantMenu).Q(langQ).Doc(tag, "Tenant menus and the roles of the connected tenant that may open them"),

		bodyEndpoint("PUT", "/api/v2/tenant/menus/{id}", func(r *http.Request, roles []int64) (identity.TenantMenuView, error) {
			id, err := menuID(r)
			if err != nil {
				return identity.TenantMenuView{}, err
			}
			return s.id.SetTenantMenuRoles(r.Context(), id, roles, lang(r))
		}).Perm(auth.MenuCodeTenantMenu).Q(langQ).Doc(tag, "Set which custom roles of the connected tenant may open a menu"),

		endpoint("GET", "/api/v2/tenant/menu-types", func(*http.Request) ([]identity.EnumInfo, error) {
			return identity.MenuTypes(true), nil
		}).Perm(auth.MenuCodeTenantMenu).Doc(tag, "Menu types a tenant manager can edit"),
	}
}

func (s *Server) versionRoutes() []*Route {
	return []*Route{
		endpoint("GET", "/api/v2/version", func(*http.Request) (VersionOutput, error) {
			return VersionOutput{Version: s.version, Messages: []string{}}, nil
		}).Anon().Doc("Version", "The running version"),
	}
}

package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

func (s *Server) roleRoutes() []*Route {
	const tag = "Role"
	role, tr := auth.MenuCodeRole, auth.MenuCodeTenantRole
	return []*Route{
		endpoint("GET", "/api/v2/admin/roles", func(r *http.Request) ([]identity.RoleView, error) {
			return s.id.ListRoles(r.Context())
		}).Perm(role, auth.MenuCodeUser, auth.MenuCodeMenu).Doc(tag, "All roles: system, common tenant and tenant custom"),

		endpoint("GET", "/api/v2/admin/tenant-common-roles", func(r *http.Request) ([]identity.RoleView, error) {
			return s.id.ListCommonTenantRoles(r.Context())
		}).Perm(role, auth.MenuCodeUser).Doc(tag, "Tenant roles usable in every tenant"),

		endpoint("GET", "/api/v2/admin/roles/{id}", func(r *http.Request) (identity.RoleDetails, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.RoleDetails{}, err
			}
			return s.id.GetRole(r.Context(), id)
		}).Perm(role).Doc(tag, "One role"),

		bodyEndpoint("POST", "/api/v2/admin/roles", func(r *http.Request, in identity.RoleInput) (identity.RoleView, error) {
			return s.id.CreateRole(r.Context(), in)
		}).Perm(role).Code(http.StatusCreated).Doc(tag, "Create a role"),

		bodyEndpoint("PUT", "/api/v2/admin/roles/{id}", func(r *http.Request, in identity.RoleInput) (identity.RoleView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.RoleView{}, err
			}
			return s.id.EditRole(r.Context(), id, in)
		}).Perm(role).Doc(tag, "Edit a role (built-in roles: sortOrder only)"),

		endpoint("DELETE", "/api/v2/admin/roles/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.DeleteRole(r.Context(), id)
		}).Perm(role).Doc(tag, "Delete a role that is not built in"),

		endpoint("GET", "/api/v2/tenant/roles", func(r *http.Request) ([]identity.RoleView, error) {
			return s.id.ListTenantRoles(r.Context())
		}).Perm(tr, auth.MenuCodeTenantUser).Doc(tag, "Roles usable in the connected tenant"),

		endpoint("GET", "/api/v2/tenant/roles/{id}", func(r *http.Request) (identity.RoleDetails, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.RoleDetails{}, err
			}
			return s.id.GetTenantRole(r.Context(), id)
		}).Perm(tr).Doc(tag, "One custom role of the connected tenant"),

		bodyEndpoint("POST", "/api/v2/tenant/roles", func(r *http.Request, in identity.RoleInput) (identity.RoleView, error) {
			return s.id.CreateTenantRole(r.Context(), in)
		}).Perm(tr).Code(http.StatusCreated).Doc(tag, "Create a custom role in the connected tenant"),

		bodyEndpoint("PUT", "/api/v2/tenant/roles/{id}", func(r *http.Request, in identity.RoleInput) (identity.RoleView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.RoleView{}, err
			}
			return s.id.EditTenantRole(r.Context(), id, in)
		}).Perm(tr).Doc(tag, "Edit a custom role of the connected tenant"),

		endpoint("DELETE", "/api/v2/tenant/roles/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.DeleteTenantRole(r.Context(), id)
		}).Perm(tr).Doc(tag, "Delete a custom role of the connected tenant"),
	}
}

package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

func (s *Server) userRoutes() []*Route {
	const tag = "User"
	u := auth.MenuCodeUser
	withID := func(fn func(r *http.Request, id int64) (identity.UserView, error)) func(*http.Request) (identity.UserView, error) {
		return func(r *http.Request) (identity.UserView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.UserView{}, err
			}
			return fn(r, id)
		}
	}
	return []*Route{
		rawEndpoint("GET", "/api/v2/admin/users", func(w http.ResponseWriter, r *http.Request) ([]identity.UserView, error) {
			all, err := s.id.ListUsers(r.Context())
			if err != nil {
				return nil, err
			}
			name, display := query(r, "name"), query(r, "displayName")
			var hits []identity.UserView
			for _, v := range all {
				if matchString(name, v.Name) && matchString(display, v.DisplayName) {
					hits = append(hits, v)
				}
			}
			return page(w, r, hits)
		}).Perm(u).Paged().
			Q(Param{"name", "string", "filter: substring, !negation"}, Param{"displayName", "string", "filter: substring, !negation"}).
			Doc(tag, "All users with their system roles and tenants"),

		endpoint("GET", "/api/v2/admin/users/{id}", withID(func(r *http.Request, id int64) (identity.UserView, error) {
			return s.id.GetUser(r.Context(), id)
		})).Perm(u).Doc(tag, "One user"),

		bodyEndpoint("POST", "/api/v2/admin/users", func(r *http.Request, in identity.UserInput) (identity.UserView, error) {
			return s.id.CreateUser(r.Context(), in)
		}).Perm(u).Code(http.StatusCreated).Doc(tag, "Create a local user with system roles and tenants"),

		bodyEndpoint("PUT", "/api/v2/admin/users/{id}", func(r *http.Request, in identity.UserInput) (identity.UserView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.UserView{}, err
			}
			return s.id.EditUser(r.Context(), id, in)
		}).Perm(u).Doc(tag, "Replace a user's system roles and tenants"),

		endpoint("DELETE", "/api/v2/admin/users/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.DeleteUser(r.Context(), id)
		}).Perm(u).Doc(tag, "Delete a user (not admin, not yourself)"),

		bodyEndpoint("PUT", "/api/v2/admin/users/{id}/password", func(r *http.Request, in StringOrObject) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.ResetPassword(r.Context(), id, in.Value)
		}).Perm(u).Doc(tag, "Reset a local user's password (body: a JSON string)"),

		bodyEndpoint("PUT", "/api/v2/admin/users/{id}/displayName", func(r *http.Request, in StringOrObject) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.SetUserDisplayName(r.Context(), id, in.Value)
		}).Perm(u).Doc(tag, "Change a user's display name (body: a JSON string)"),

		endpoint("GET", "/api/v2/tenant/users", func(r *http.Request) ([]identity.TenantUserView, error) {
			return s.id.ListTenantUsers(r.Context())
		}).Perm(auth.MenuCodeTenantUser).Doc(tag, "Users of the connected tenant"),

		endpoint("GET", "/api/v2/tenant/users/{id}", func(r *http.Request) (identity.TenantUserView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.TenantUserView{}, err
			}
			return s.id.GetTenantUser(r.Context(), id)
		}).Perm(auth.MenuCodeTenantUser).Doc(tag, "One user of the connected tenant"),

		endpoint("DELETE", "/api/v2/tenant/users/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.id.RemoveTenantUser(r.Context(), id)
		}).Perm(auth.MenuCodeTenantUser).Doc(tag, "Remove a user from the connected tenant (not yourself)"),

		bodyEndpoint("PUT", "/api/v2/tenant/users/{id}/roles", func(r *http.Request, roles []int64) (identity.TenantUserView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.TenantUserView{}, err
			}
			return s.id.SetTenantUserRoles(r.Context(), id, roles)
		}).Perm(auth.MenuCodeTenantUser).Doc(tag, "Set a user's roles in the connected tenant (body: role ids)"),
	}
}

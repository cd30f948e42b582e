package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

func (s *Server) tenantRoutes() []*Route {
	const tag = "Tenant"
	return []*Route{
		rawEndpoint("GET", "/api/v2/admin/tenants", func(w http.ResponseWriter, r *http.Request) ([]identity.TenantView, error) {
			all, err := s.id.ListTenants(r.Context())
			if err != nil {
				return nil, err
			}
			name, display := query(r, "name"), query(r, "displayName")
			var hits []identity.TenantView
			for _, t := range all {
				if matchString(name, t.Name) && matchString(display, t.DisplayName) {
					hits = append(hits, t)
				}
			}
			return page(w, r, hits)
		}).Perm(auth.MenuCodeTenant, auth.MenuCodeUser, auth.MenuCodeNode).Paged().
			Q(Param{"name", "string", "filter: substring, !negation"}, Param{"displayName", "string", "filter: substring, !negation"}).
			Doc(tag, "All tenants"),

		endpoint("GET", "/api/v2/admin/tenants/{id}", func(r *http.Request) (identity.TenantDetails, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.TenantDetails{}, err
			}
			return s.id.GetTenant(r.Context(), id)
		}).Perm(auth.MenuCodeTenant).Doc(tag, "One tenant with its gits, registries and storage"),

		bodyEndpoint("POST", "/api/v2/admin/tenants", func(r *http.Request, in identity.TenantInput) (identity.TenantView, error) {
			return s.id.CreateTenant(r.Context(), in)
		}).Perm(auth.MenuCodeTenant).Code(http.StatusCreated).Doc(tag, "Create a tenant"),

		bodyEndpoint("PUT", "/api/v2/admin/tenants/{id}", func(r *http.Request, in identity.TenantInput) (identity.TenantView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.TenantView{}, err
			}
			return s.id.EditTenant(r.Context(), id, in)
		}).Perm(auth.MenuCodeTenant).Doc(tag, "Edit a tenant (its name never changes)"),

		endpoint("DELETE", "/api/v2/admin/tenants/{id}", func(r *http.Request) (identity.TenantDeleteOutput, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return identity.TenantDeleteOutput{}, err
			}
			return s.id.DeleteTenant(r.Context(), id)
		}).Perm(auth.MenuCodeTenant).Doc(tag, "Delete a tenant (not sandbox, not the one you are connected to)"),

		endpoint("GET", "/api/v2/tenant", func(r *http.Request) (identity.TenantDetails, error) {
			return s.id.CurrentTenant(r.Context())
		}).Perm(auth.MenuCodeTenantSetting).Doc(tag, "The tenant the caller is connected to"),

		bodyEndpoint("PUT", "/api/v2/tenant", func(r *http.Request, in identity.TenantInput) (identity.TenantView, error) {
			return s.id.EditCurrentTenant(r.Context(), in)
		}).Perm(auth.MenuCodeTenantSetting).Doc(tag, "Edit the tenant the caller is connected to"),
	}
}

// rawEndpoint is an endpoint that also needs the response writer (for
// headers such as X-Total-Count).
func rawEndpoint[Out any](method, path string, fn func(w http.ResponseWriter, r *http.Request) (Out, error)) *Route {
	var rt *Route
	rt = newRoute[Out](method, path, func(w http.ResponseWriter, r *http.Request) error {
		out, err := fn(w, r)
		if err != nil {
			return err
		}
		return writeOut(w, rt.Status, out)
	})
	return rt
}

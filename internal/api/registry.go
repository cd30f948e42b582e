package api

import (
	"net/http"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/registry"
)

// WithRegistry serves the registries and image browsing.
func WithRegistry(reg *registry.Service) Option { return func(s *Server) { s.registries = reg } }

func (s *Server) registryRoutes() []*Route {
	const tag = "Registry"
	return []*Route{
		endpoint("GET", "/api/v2/admin/registry/endpoints", func(r *http.Request) ([]registry.View, error) {
			return s.registries.List(r.Context())
		}).Perm(auth.MenuCodeRegistry, auth.MenuCodeTenant).Doc(tag, "All registries"),

		endpoint("GET", "/api/v2/admin/registry/types", func(r *http.Request) ([]registry.TypeView, error) {
			return registry.Types(), nil
		}).Perm(auth.MenuCodeRegistry).Doc(tag, "Registry service types"),

		endpoint("GET", "/api/v2/admin/registry/endpoints/{id}", func(r *http.Request) (registry.Details, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return registry.Details{}, err
			}
			return s.registries.Get(r.Context(), id)
		}).Perm(auth.MenuCodeRegistry).Doc(tag, "One registry"),

		bodyEndpoint("POST", "/api/v2/admin/registry/endpoints", func(r *http.Request, in registry.Input) (registry.View, error) {
			return s.registries.Create(r.Context(), in)
		}).Perm(auth.MenuCodeRegistry).Code(http.StatusCreated).
			Doc(tag, "Register a registry; its name is lower-case letters, digits and '-', unique"),

		bodyEndpoint("PUT", "/api/v2/admin/registry/endpoints/{id}", func(r *http.Request, in registry.Input) (registry.View, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return registry.View{}, err
			}
			return s.registries.Edit(r.Context(), id, in)
		}).Perm(auth.MenuCodeRegistry).Doc(tag, "Edit a registry (not the built-in ones)"),

		endpoint("DELETE", "/api/v2/admin/registry/endpoints/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.registries.Delete(r.Context(), id)
		}).Perm(auth.MenuCodeRegistry).Doc(tag, "Delete a registry nothing uses (not the built-in ones)"),

		endpoint("GET", "/api/v2/tenant/registry/endpoints", func(r *http.Request) ([]registry.View, error) {
			return s.registries.Selectable(r.Context())
		}).Perm(auth.MenuCodeTenantSetting).Doc(tag, "The registries a tenant manager may pick for the tenant (all)"),

		endpoint("GET", "/api/v2/registries/{registryId}/images", func(r *http.Request) ([]string, error) {
			id, err := pathID(r, "registryId")
			if err != nil {
				return nil, err
			}
			return s.registries.Images(r.Context(), id)
		}).Perm(jobMenus...).Calls().Doc(tag, "Image names in a registry, with the caller's credentials"),

		endpoint("GET", "/api/v2/registries/{registryId}/images/{image}/tags", func(r *http.Request) ([]string, error) {
			return s.imageTags(r, r.PathValue("image"))
		}).Perm(jobMenus...).Calls().Doc(tag, "Tags of an image"),

		endpoint("GET", "/api/v2/registries/{registryId}/images/{segments...}", func(r *http.Request) ([]string, error) {
			image, ok := strings.CutSuffix(r.PathValue("segments"), "/tags")
			if !ok {
				return nil, apperr.NotFound("no API endpoint %s %s", r.Method, r.URL.Path).
					WithDetail("use …/images/<image>/tags")
			}
			return s.imageTags(r, image)
		}).Perm(jobMenus...).Calls().Doc(tag, "Tags of an image whose name holds '/': …/images/<a/b>/tags"),
	}
}

func (s *Server) imageTags(r *http.Request, image string) ([]string, error) {
	id, err := pathID(r, "registryId")
	if err != nil {
		return nil, err
	}
	return s.registries.Tags(r.Context(), id, image)
}

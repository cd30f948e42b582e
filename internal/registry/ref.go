package registry

import (
	"context"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

// DefaultTag is the tag ImageRef uses when none is given.
const DefaultTag = "latest"

// ImageRef returns the full reference a job pulls, "host:port/image:tag"
// (Docker Hub's without the registry, as the original), after checking that
// the caller's tenant may use registry registryID.
func (s *Service) ImageRef(ctx context.Context, registryID int64, image, tag string) (string, error) {
	e, err := s.forCaller(ctx, registryID)
	if err != nil {
		return "", err
	}
	image, tag = strings.TrimSpace(image), strings.TrimSpace(tag)
	if image == "" || strings.ContainsAny(image, ":@") {
		return "", badImage(image)
	}
	if tag == "" {
		tag = DefaultTag
	}
	full := path(e.Registry) + "/" + image + ":" + tag
	if _, err := name.NewTag(full, name.StrictValidation); err != nil {
		return "", apperr.Invalid("%q is not an image reference", image+":"+tag).
			WithDetail("image: lower-case path components such as team/pytorch; tag: letters, digits, '_', '.', '-'").Wrap(err)
	}
	if ServiceType(e.ServiceType) == DockerHub {
		return image + ":" + tag, nil
	}
	return full, nil
}

// DefaultRegistryID returns the caller's tenant's default registry id.
func (s *Service) DefaultRegistryID(ctx context.Context) (int64, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return 0, err
	}
	t, err := s.db.Q().TenantByID(ctx, p.TenantID)
	if err != nil {
		return 0, err
	}
	if !t.DefaultRegistryID.Valid {
		return 0, apperr.NotFound("tenant %s has no default registry", p.TenantName).
			WithDetail("name registryId, or ask an administrator to set the tenant's default registry")
	}
	return t.DefaultRegistryID.Int64, nil
}

// dockerHubConfigKey is the registry name Docker Hub logins are stored
// under in a docker config, which container runtimes look up.
const dockerHubConfigKey = "https://index.docker.io/v1/"

// PullLogin is the caller's login to registry id as a container runtime
// needs it to pull: the host:port the job's image reference names (Docker
// Hub's config key) and the user's credentials. ok is false when the caller has no credentials
// there, so pulls are anonymous.
func (s *Service) PullLogin(ctx context.Context, id int64) (server, user, password string, ok bool, err error) {
	e, err := s.forCaller(ctx, id)
	if err != nil || (e.user == "" && e.password == "") {
		return "", "", "", false, err
	}
	if ServiceType(e.ServiceType) == DockerHub {
		return dockerHubConfigKey, e.user, e.password, true, nil
	}
	return path(e.Registry), e.user, e.password, true, nil
}

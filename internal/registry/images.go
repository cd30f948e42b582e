package registry

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// endpoint is a registry the caller may use, with the caller's credentials.
type endpoint struct {
	store.Registry
	user, password string
}

// forCaller returns registry id if the caller's tenant may use it.
func (s *Service) forCaller(ctx context.Context, id int64) (endpoint, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return endpoint{}, err
	}
	q := s.db.Q()
	r, err := q.RegistryByID(ctx, id)
	if err != nil {
		return endpoint{}, notFound(err, id)
	}
	login, err := q.RegistryLogin(ctx, p.UserID, p.TenantID, id)
	if errors.Is(err, store.ErrNoRows) {
		return endpoint{}, apperr.NotFound("registry %d (%s) is not available in tenant %s", id, r.Name, p.TenantName).
			WithDetail("an administrator adds registries to a tenant on the Tenant screen")
	}
	if err != nil {
		return endpoint{}, err
	}
	e := endpoint{Registry: r, user: login.UserName}
	if login.PasswordSealed != "" {
		e.password, err = s.secrets.Open(login.PasswordSealed)
		if errors.Is(err, secret.ErrUndecryptable) {
			s.log.Warn("a stored registry password cannot be decrypted with this install's key; using none", "registry", id, "user", p.UserID)
			e.password, err = "", nil
		}
		if err != nil {
			return endpoint{}, err
		}
	}
	return e, nil
}

// registry is where the registry API answers: the host of registryUrl
// (plain http when its scheme says so), with the name options that keep it.
func (e endpoint) registry() (name.Registry, []name.Option, error) {
	u, err := url.Parse(e.RegistryURL)
	if err != nil || u.Host == "" {
		return name.Registry{}, nil, apperr.Invalid("registry %d has no usable registryUrl", e.ID)
	}
	opts := []name.Option{name.StrictValidation}
	if u.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRegistry(u.Host, opts...)
	if err != nil {
		return name.Registry{}, nil, apperr.Invalid("registry %d: registryUrl host %q is not a registry", e.ID, u.Host).Wrap(err)
	}
	return r, opts, nil
}

func (s *Service) options(ctx context.Context, e endpoint) []remote.Option {
	var a authn.Authenticator = authn.Anonymous
	if e.user != "" || e.password != "" {
		a = &authn.Basic{Username: e.user, Password: e.password}
	}
	tr := s.http.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(a), remote.WithTransport(tr),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
}

// Images lists the image names of registry id the caller can see.
func (s *Service) Images(ctx context.Context, id int64) ([]string, error) {
	e, err := s.forCaller(ctx, id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out []string
	switch ServiceType(e.ServiceType) {
	case DockerHub:
		out, err = s.hubImages(ctx, e)
	case GitLab:
		out, err = s.gitlabImages(ctx, e)
	default:
		reg, _, rerr := e.registry()
		if rerr != nil {
			return nil, rerr
		}
		out, err = remote.Catalog(ctx, reg, s.options(ctx, e)...)
		err = registryErr(err, e.Name, "")
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out, nil
}

// Tags lists the tags of image in registry id.
func (s *Service) Tags(ctx context.Context, id int64, image string) ([]string, error) {
	e, err := s.forCaller(ctx, id)
	if err != nil {
		return nil, err
	}
	reg, opts, err := e.registry()
	if err != nil {
		return nil, err
	}
	repo, err := name.NewRepository(reg.Name()+"/"+image, opts...)
	if err != nil || strings.ContainsAny(image, ":@") {
		return nil, badImage(image)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tags, err := remote.List(repo, s.options(ctx, e)...)
	if err != nil {
		return nil, registryErr(err, e.Name, image)
	}
	if tags == nil {
		tags = []string{}
	}
	slices.Sort(tags)
	return tags, nil
}

func badImage(image string) error {
	return apperr.Invalid("%q is not an image name", image).
		WithDetail("use lower-case path components such as team/pytorch, without a tag")
}

// registryErr turns a failure to talk to a registry into a readable domain
// error: refused credentials 400, unknown image 404, anything else 502.
func registryErr(err error, registry, image string) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok || errors.Is(err, context.Canceled) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return apperr.Invalid("registry %s refused your credentials", registry).
				WithDetail("set your user name and password for it in Account settings → Registry").Wrap(err)
		case http.StatusNotFound:
			if image != "" {
				return apperr.NotFound("image %s is not found in registry %s", image, registry).Wrap(err)
			}
			return apperr.BadGateway("registry %s does not list its images", registry).
				WithDetail("type the image name instead").Wrap(err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return apperr.BadGateway("registry %s did not answer in time", registry).Wrap(err)
	}
	return apperr.BadGateway("registry %s could not be reached", registry).WithDetail("%v", err).Wrap(err)
}

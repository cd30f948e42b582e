package identity

import (
	"context"
	"errors"
	"slices"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// GitCredentialView is a git endpoint of the caller's tenant with the
// caller's token for it.
type GitCredentialView struct {
	ID          int64  `json:"id"`
	Token       string `json:"token"`
	Name        string `json:"name"`
	ServiceType int    `json:"serviceType"`
}

// GitInfo is GET /account/gits.
type GitInfo struct {
	DefaultGitID *int64              `json:"defaultGitId"`
	Gits         []GitCredentialView `json:"gits"`
}

// GitCredentialInput is PUT /account/gits.
type GitCredentialInput struct {
	ID    int64  `json:"id"`
	Token string `json:"token"`
}

// RegistryCredentialView is a registry of the caller's tenant with the
// caller's credentials for it.
type RegistryCredentialView struct {
	ID          int64  `json:"id"`
	UserName    string `json:"userName"`
	Password    string `json:"password"`
	Name        string `json:"name"`
	ProjectName string `json:"projectName"`
	ServiceType int    `json:"serviceType"`
}

// RegistryInfo is GET /account/registries.
type RegistryInfo struct {
	DefaultRegistryID *int64                   `json:"defaultRegistryId"`
	Registries        []RegistryCredentialView `json:"registries"`
}

// RegistryCredentialInput is PUT /account/registries.
type RegistryCredentialInput struct {
	ID       int64  `json:"id"`
	UserName string `json:"userName"`
	Password string `json:"password"`
}

const maxCredentialLen = 4096

// open decrypts a stored credential; one sealed under a lost key reads as
// empty (the user enters it again) instead of failing the whole page.
func (s *Service) open(sealed string) string {
	v, err := s.secrets.Open(sealed)
	if errors.Is(err, secret.ErrUndecryptable) {
		s.log.Warn("a stored credential cannot be decrypted with this install's key; it reads as empty")
		return ""
	}
	return v
}

// AccountGits lists the caller's git tokens for the git endpoints of the
// selected tenant. Tokens are returned to their owner only.
func (s *Service) AccountGits(ctx context.Context) (GitInfo, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return GitInfo{}, err
	}
	q := s.db.Q()
	t, err := q.TenantByID(ctx, p.TenantID)
	if err != nil {
		return GitInfo{}, err
	}
	cs, err := q.GitCredentials(ctx, p.UserID, p.TenantID)
	if err != nil {
		return GitInfo{}, err
	}
	out := GitInfo{DefaultGitID: nullID(t.DefaultGitID.Int64, t.DefaultGitID.Valid), Gits: []GitCredentialView{}}
	for _, c := range cs {
		out.Gits = append(out.Gits, GitCredentialView{ID: c.ID, Name: c.Name, ServiceType: c.ServiceType, Token: s.open(c.TokenSealed.String)})
	}
	return out, nil
}

// SetAccountGit stores the caller's token for a git endpoint of the selected tenant.
func (s *Service) SetAccountGit(ctx context.Context, in GitCredentialInput) (GitCredentialView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return GitCredentialView{}, err
	}
	if len(in.Token) > maxCredentialLen {
		return GitCredentialView{}, apperr.Invalid("token is too long").WithDetail("use at most %d bytes", maxCredentialLen)
	}
	var out GitCredentialView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		cs, err := q.GitCredentials(ctx, p.UserID, p.TenantID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cs, func(c store.GitCredential) bool { return c.ID == in.ID })
		if i < 0 {
			return apperr.NotFound("git %d is not available in tenant %s", in.ID, p.TenantName)
		}
		sealed, err := s.secrets.Seal(in.Token)
		if err != nil {
			return err
		}
		out = GitCredentialView{ID: cs[i].ID, Name: cs[i].Name, ServiceType: cs[i].ServiceType, Token: in.Token}
		return q.SetGitToken(ctx, p.UserID, p.TenantID, in.ID, sealed, s.now())
	})
	return out, err
}

// AccountRegistries lists the caller's credentials for the registries of the selected tenant.
func (s *Service) AccountRegistries(ctx context.Context) (RegistryInfo, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RegistryInfo{}, err
	}
	q := s.db.Q()
	t, err := q.TenantByID(ctx, p.TenantID)
	if err != nil {
		return RegistryInfo{}, err
	}
	cs, err := q.RegistryCredentials(ctx, p.UserID, p.TenantID)
	if err != nil {
		return RegistryInfo{}, err
	}
	out := RegistryInfo{DefaultRegistryID: nullID(t.DefaultRegistryID.Int64, t.DefaultRegistryID.Valid), Registries: []RegistryCredentialView{}}
	for _, c := range cs {
		out.Registries = append(out.Registries, RegistryCredentialView{ID: c.ID, Name: c.Name, ProjectName: c.ProjectName,
			ServiceType: c.ServiceType, UserName: c.UserName.String, Password: s.open(c.PasswordSealed.String)})
	}
	return out, nil
}

// SetAccountRegistry stores the caller's credentials for a registry of the selected tenant.
func (s *Service) SetAccountRegistry(ctx context.Context, in RegistryCredentialInput) (RegistryCredentialView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return RegistryCredentialView{}, err
	}
	if len(in.Password) > maxCredentialLen || len(in.UserName) > maxNameLen*2 {
		return RegistryCredentialView{}, apperr.Invalid("userName or password is too long")
	}
	var out RegistryCredentialView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		cs, err := q.RegistryCredentials(ctx, p.UserID, p.TenantID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cs, func(c store.RegistryCredential) bool { return c.ID == in.ID })
		if i < 0 {
			return apperr.NotFound("registry %d is not available in tenant %s", in.ID, p.TenantName)
		}
		sealed, err := s.secrets.Seal(in.Password)
		if err != nil {
			return err
		}
		c := cs[i]
		out = RegistryCredentialView{ID: c.ID, Name: c.Name, ProjectName: c.ProjectName, ServiceType: c.ServiceType,
			UserName: in.UserName, Password: in.Password}
		return q.SetRegistryCredential(ctx, p.UserID, p.TenantID, in.ID, in.UserName, sealed, s.now())
	})
	return out, err
}

package gitrepo

import (
	"context"
	"errors"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Source is where a job fetches code.
type Source struct{ URL, User, Token string }

// TokenUser is the user name sent with a token over HTTP basic auth; GitHub,
// GitLab and most servers ignore it or expect this one.
const TokenUser = "oauth2"

// endpoint is a git endpoint the caller may use, with the caller's token.
type endpoint struct {
	store.Git
	token string
}

// forCaller returns git endpoint gitID if the caller's tenant may use it.
func (s *Service) forCaller(ctx context.Context, gitID int64) (endpoint, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return endpoint{}, err
	}
	q := s.db.Q()
	g, err := q.GitByID(ctx, gitID)
	if err != nil {
		return endpoint{}, notFound(err, gitID)
	}
	sealed, err := q.GitToken(ctx, p.UserID, p.TenantID, gitID)
	if errors.Is(err, store.ErrNoRows) {
		return endpoint{}, apperr.NotFound("git %d (%s) is not available in tenant %s", gitID, g.Name, p.TenantName).
			WithDetail("an administrator adds git endpoints to a tenant on the Tenant screen")
	}
	if err != nil {
		return endpoint{}, err
	}
	e := endpoint{Git: g}
	if sealed.Valid && sealed.String != "" {
		e.token, err = s.secrets.Open(sealed.String)
		if errors.Is(err, secret.ErrUndecryptable) {
			s.log.Warn("a stored git token cannot be decrypted with this install's key; using none", "git", gitID, "user", p.UserID)
			e.token, err = "", nil
		}
		if err != nil {
			return endpoint{}, err
		}
	}
	return e, nil
}

// checkName validates one path segment of an owner or a repository name.
func checkName(what, v string) error {
	if v == "" || v == "." || v == ".." || len(v) > 255 {
		return apperr.Invalid("%s %q is not a valid name", what, v)
	}
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)
		if !ok {
			return apperr.Invalid("%s %q is not a valid name", what, v).
				WithDetail("use letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// repoURL is the clone URL of owner/repo on e: <repositoryUrl>/<owner>/<repo>.
// owner may be empty or hold '/' (GitLab subgroups).
func (e endpoint) repoURL(owner, repo string) (string, error) {
	if err := checkName("repository", repo); err != nil {
		return "", err
	}
	path := repo
	if owner != "" {
		for seg := range strings.SplitSeq(owner, "/") {
			if err := checkName("owner", seg); err != nil {
				return "", err
			}
		}
		path = owner + "/" + repo
	}
	return strings.TrimRight(e.RepositoryURL, "/") + "/" + path, nil
}

func (e endpoint) source(owner, repo string) (Source, error) {
	u, err := e.repoURL(owner, repo)
	if err != nil {
		return Source{}, err
	}
	src := Source{URL: u}
	if e.token != "" {
		src.User, src.Token = TokenUser, e.token
	}
	return src, nil
}

// Source resolves git endpoint gitID + owner + repository for the caller
// (tenant and user of the principal in ctx) to a clone URL with the
// caller's token. It does not call the git server.
func (s *Service) Source(ctx context.Context, gitID int64, owner, repo string) (Source, error) {
	e, err := s.forCaller(ctx, gitID)
	if err != nil {
		return Source{}, err
	}
	return e.source(owner, repo)
}

// DefaultGitID returns the caller's tenant's default git endpoint id.
func (s *Service) DefaultGitID(ctx context.Context) (int64, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return 0, err
	}
	t, err := s.db.Q().TenantByID(ctx, p.TenantID)
	if err != nil {
		return 0, err
	}
	if !t.DefaultGitID.Valid {
		return 0, apperr.NotFound("tenant %s has no default git endpoint", p.TenantName).
			WithDetail("name gitId, or ask an administrator to set the tenant's default git")
	}
	return t.DefaultGitID.Int64, nil
}

package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/inuse"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// View is a git endpoint in lists.
type View struct {
	audit.View
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	ServiceType     int    `json:"serviceType"`
	ServiceTypeName string `json:"serviceTypeName"`
	// RepositoryURL is the base of clone URLs: <repositoryUrl>/<owner>/<repository>.
	RepositoryURL string `json:"repositoryUrl"`
	APIURL        string `json:"apiUrl"`
}

// Details adds whether the endpoint is built in.
type Details struct {
	View
	IsNotEditable bool `json:"isNotEditable"`
}

// Input is the body of create and edit. apiUrl may be left out for a plain
// git server (type 5); it then is the repositoryUrl.
type Input struct {
	Name          string `json:"name"`
	ServiceType   int    `json:"serviceType"`
	APIURL        string `json:"apiUrl"`
	RepositoryURL string `json:"repositoryUrl"`
}

const maxNameLen = 128

func view(g store.Git) View {
	return View{View: audit.Of(g.Audit), ID: g.ID, Name: g.Name, ServiceType: g.ServiceType,
		ServiceTypeName: ServiceType(g.ServiceType).Name(), RepositoryURL: g.RepositoryURL, APIURL: g.APIURL}
}

func views(gs []store.Git) []View {
	out := make([]View, 0, len(gs))
	for _, g := range gs {
		out = append(out, view(g))
	}
	return out
}

func notFound(err error, id int64) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("git %d is not found", id)
	}
	return err
}

// List returns every git endpoint.
func (s *Service) List(ctx context.Context) ([]View, error) {
	gs, err := s.db.Q().ListGits(ctx)
	return views(gs), err
}

// Selectable returns the git endpoints a tenant manager may pick for the
// tenant: all of them, as in the original (the admin list needs the Git
// or Tenant menu, this one the TenantSetting menu).
func (s *Service) Selectable(ctx context.Context) ([]View, error) { return s.List(ctx) }

// Get returns one git endpoint.
func (s *Service) Get(ctx context.Context, id int64) (Details, error) {
	g, err := s.db.Q().GitByID(ctx, id)
	if err != nil {
		return Details{}, notFound(err, id)
	}
	return Details{View: view(g), IsNotEditable: g.IsNotEditable}, nil
}

// check validates in and fills row from it.
func check(row *store.Git, in Input) error {
	row.Name = strings.TrimSpace(in.Name)
	switch {
	case row.Name == "":
		return apperr.Invalid("name is required")
	case len(row.Name) > maxNameLen:
		return apperr.Invalid("name is too long").WithDetail("use at most %d characters", maxNameLen)
	}
	t := ServiceType(in.ServiceType)
	if t.Name() == "" {
		return apperr.Invalid("serviceType %d is not a git service type", in.ServiceType).
			WithDetail("use 1 GitHub, 2 GitLab, 3 GitLabCom, 4 GitBucket or 5 Git (any git server)")
	}
	row.ServiceType = int(t)
	row.RepositoryURL = strings.TrimRight(strings.TrimSpace(in.RepositoryURL), "/")
	row.APIURL = strings.TrimRight(strings.TrimSpace(in.APIURL), "/")
	if row.RepositoryURL == "" {
		return apperr.Invalid("repositoryUrl is required").WithDetail("the base of the clone URLs, e.g. https://github.com")
	}
	if err := checkBase(row.RepositoryURL, t == Git); err != nil {
		return err
	}
	if row.APIURL == "" && t == Git {
		row.APIURL = row.RepositoryURL
	}
	if row.APIURL == "" {
		return apperr.Invalid("apiUrl is required").WithDetail("e.g. https://api.github.com or https://gitlab.example.com")
	}
	if u, err := url.Parse(row.APIURL); t != Git && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return apperr.Invalid("apiUrl %q is not an http(s) URL", row.APIURL)
	}
	return nil
}

// Create registers a git endpoint.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	var row store.Git
	if err := check(&row, in); err != nil {
		return View{}, err
	}
	id, err := s.db.Q().InsertGit(ctx, row, p.UserName, s.now())
	if err != nil {
		return View{}, err
	}
	g, err := s.db.Q().GitByID(ctx, id)
	return view(g), err
}

// Edit changes a git endpoint; the built-in ones cannot be changed.
func (s *Service) Edit(ctx context.Context, id int64, in Input) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	q := s.db.Q()
	row, err := q.GitByID(ctx, id)
	if err != nil {
		return View{}, notFound(err, id)
	}
	if row.IsNotEditable {
		return View{}, apperr.Invalid("git %d (%s) is built in and cannot be edited", id, row.Name).
			WithDetail("register another git endpoint instead")
	}
	if err := check(&row, in); err != nil {
		return View{}, err
	}
	if err := q.UpdateGit(ctx, row, p.UserName, s.now()); err != nil {
		return View{}, notFound(err, id)
	}
	g, err := q.GitByID(ctx, id)
	return view(g), err
}

// Delete removes a git endpoint nothing uses. The checks and the delete
// run in one transaction.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		row, err := q.GitByID(ctx, id)
		if err != nil {
			return notFound(err, id)
		}
		if row.IsNotEditable {
			return apperr.Conflict("git %d (%s) is built in and cannot be deleted", id, row.Name)
		}
		if err := inuse.Refuse(ctx, q, s.inUse, id, fmt.Sprintf("git %d (%s)", id, row.Name)); err != nil {
			return err
		}
		if err := q.DeleteGit(ctx, id); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return apperr.Conflict("git %d (%s) is still in use", id, row.Name).Wrap(err)
			}
			return notFound(err, id)
		}
		return nil
	})
}

// checkBase accepts an http(s) base URL, and for a plain git server also a
// file URL of a directory on the server.
func checkBase(raw string, fileOK bool) error {
	schemes := "an http(s)"
	if fileOK {
		schemes = "an http(s) or file"
	}
	u, err := url.Parse(raw)
	ok := err == nil && u.User == nil && u.RawQuery == "" && u.Fragment == ""
	switch {
	case !ok:
	case u.Scheme == "http" || u.Scheme == "https":
		ok = u.Host != ""
	case u.Scheme == "file" && fileOK:
		ok = u.Host == "" && strings.HasPrefix(u.Path, "/")
	default:
		ok = false
	}
	if !ok {
		return apperr.Invalid("repositoryUrl %q is not %s URL", raw, schemes).
			WithDetail("e.g. https://git.example.com or, for a directory of repositories on the server, file:///srv/git; credentials belong in each user's token, not in the URL")
	}
	return nil
}

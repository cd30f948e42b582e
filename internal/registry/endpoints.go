package registry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/inuse"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// View is a registry in lists.
type View struct {
	audit.View
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	RegistryPath    string `json:"registryPath"` // host:port
	ProjectName     string `json:"projectName"`
	ServiceType     int    `json:"serviceType"`
	ServiceTypeName string `json:"serviceTypeName"`
}

// Details adds the addresses and whether the registry is built in.
type Details struct {
	View
	Host          string `json:"host"`
	PortNo        int    `json:"portNo"`
	APIURL        string `json:"apiUrl"`
	RegistryURL   string `json:"registryUrl"`
	IsNotEditable bool   `json:"isNotEditable"`
}

// Input is the body of create and edit.
type Input struct {
	Name        string `json:"name"`
	Host        string `json:"host"`
	PortNo      int    `json:"portNo"`
	ServiceType int    `json:"serviceType"`
	// ProjectName is required for GitLab (the project whose registry it is).
	ProjectName string `json:"projectName,omitempty"`
	APIURL      string `json:"apiUrl"`
	RegistryURL string `json:"registryUrl"`
}

// namePattern is the original's rule for registry names.
var namePattern = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

const maxNameLen = 63

func path(r store.Registry) string { return r.Host + ":" + strconv.Itoa(r.PortNo) }

func view(r store.Registry) View {
	return View{View: audit.Of(r.Audit), ID: r.ID, Name: r.Name, RegistryPath: path(r), ProjectName: r.ProjectName,
		ServiceType: r.ServiceType, ServiceTypeName: ServiceType(r.ServiceType).Name()}
}

func views(rs []store.Registry) []View {
	out := make([]View, 0, len(rs))
	for _, r := range rs {
		out = append(out, view(r))
	}
	return out
}

func notFound(err error, id int64) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("registry %d is not found", id)
	}
	return err
}

// List returns every registry.
func (s *Service) List(ctx context.Context) ([]View, error) {
	rs, err := s.db.Q().ListRegistries(ctx)
	return views(rs), err
}

// Selectable returns the registries a tenant manager may pick for the
// tenant: all of them, as in the original.
func (s *Service) Selectable(ctx context.Context) ([]View, error) { return s.List(ctx) }

// Get returns one registry.
func (s *Service) Get(ctx context.Context, id int64) (Details, error) {
	r, err := s.db.Q().RegistryByID(ctx, id)
	if err != nil {
		return Details{}, notFound(err, id)
	}
	return Details{View: view(r), Host: r.Host, PortNo: r.PortNo, APIURL: r.APIURL, RegistryURL: r.RegistryURL,
		IsNotEditable: r.IsNotEditable}, nil
}

func check(row *store.Registry, in Input) error {
	row.Name = strings.TrimSpace(in.Name)
	if row.Name == "" {
		return apperr.Invalid("name is required")
	}
	if len(row.Name) > maxNameLen || !namePattern.MatchString(row.Name) {
		return apperr.Invalid("name %q is not a valid registry name", row.Name).
			WithDetail("use up to %d lower-case letters, digits and '-', starting with a letter and not ending with '-'", maxNameLen)
	}
	row.Host = strings.TrimSpace(in.Host)
	if row.Host == "" {
		return apperr.Invalid("host is required").WithDetail("the registry's host name, e.g. registry.example.com")
	}
	if strings.ContainsAny(row.Host, "/:@ \t?#") {
		return apperr.Invalid("host %q is not a host name", row.Host).WithDetail("give the port in portNo and no scheme or path")
	}
	if in.PortNo < 1 || in.PortNo > 65535 {
		return apperr.Invalid("portNo %d is not a port", in.PortNo).WithDetail("use 1 to 65535 (443 for https)")
	}
	row.PortNo = in.PortNo
	t := ServiceType(in.ServiceType)
	if t.Name() == "" {
		return apperr.Invalid("serviceType %d is not a registry service type", in.ServiceType).
			WithDetail("use 1 DockerHub, 2 GitLab, 3 PrivateDockerRegistry or 4 NvidiaGPUCloud")
	}
	row.ServiceType = int(t)
	row.ProjectName = strings.TrimSpace(in.ProjectName)
	if t == GitLab && row.ProjectName == "" {
		return apperr.Invalid("projectName is required for a GitLab registry").WithDetail("the group/project whose registry it is")
	}
	row.APIURL, row.RegistryURL = strings.TrimSpace(in.APIURL), strings.TrimSpace(in.RegistryURL)
	for _, f := range []struct{ name, v string }{{"apiUrl", row.APIURL}, {"registryUrl", row.RegistryURL}} {
		if f.v == "" {
			return apperr.Invalid("%s is required", f.name)
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return apperr.Invalid("%s %q is not an http(s) URL", f.name, f.v).
				WithDetail("credentials belong in each user's account settings, not in the URL")
		}
	}
	return nil
}

func nameTaken(err error, name string) error {
	if store.IsUnique(err) {
		return apperr.Conflict("a registry named %q exists already", name)
	}
	return err
}

// Create registers a registry.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	var row store.Registry
	if err := check(&row, in); err != nil {
		return View{}, err
	}
	id, err := s.db.Q().InsertRegistry(ctx, row, p.UserName, s.now())
	if err != nil {
		return View{}, nameTaken(err, row.Name)
	}
	r, err := s.db.Q().RegistryByID(ctx, id)
	return view(r), err
}

// Edit changes a registry; the built-in ones cannot be changed.
func (s *Service) Edit(ctx context.Context, id int64, in Input) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	q := s.db.Q()
	row, err := q.RegistryByID(ctx, id)
	if err != nil {
		return View{}, notFound(err, id)
	}
	if row.IsNotEditable {
		return View{}, apperr.Invalid("registry %d (%s) is built in and cannot be edited", id, row.Name).
			WithDetail("register another registry instead")
	}
	if err := check(&row, in); err != nil {
		return View{}, err
	}
	if err := q.UpdateRegistry(ctx, row, p.UserName, s.now()); err != nil {
		return View{}, nameTaken(notFound(err, id), row.Name)
	}
	r, err := q.RegistryByID(ctx, id)
	return view(r), err
}

// Delete removes a registry nothing uses; checks and delete are one transaction.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		row, err := q.RegistryByID(ctx, id)
		if err != nil {
			return notFound(err, id)
		}
		if row.IsNotEditable {
			return apperr.Conflict("registry %d (%s) is built in and cannot be deleted", id, row.Name)
		}
		if err := inuse.Refuse(ctx, q, s.inUse, id, fmt.Sprintf("registry %d (%s)", id, row.Name)); err != nil {
			return err
		}
		if err := q.DeleteRegistry(ctx, id); err != nil {
			if errors.Is(err, store.ErrForeignKey) {
				return apperr.Conflict("registry %d (%s) is still in use", id, row.Name).Wrap(err)
			}
			return notFound(err, id)
		}
		return nil
	})
}

// Package gitrepo is the git domain: the git servers administrators
// register (the admin's Git screen), which of them a tenant may use, and
// browsing repositories for the job screens. Branches, commits and the
// commit a job runs are read through the git protocol itself (go-git), so
// any git server works, GitHub and GitLab as much as a plain git server or
// a directory of repositories; only listing repositories needs a service's
// own REST API, which the git protocol does not have.
package gitrepo

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/kamonohashi-go/kamonohashi/internal/inuse"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// ServiceType says which kind of server a git endpoint is. The first four
// are the original's; Git is any server that speaks the git protocol.
type ServiceType int

const (
	GitHub    ServiceType = 1
	GitLab    ServiceType = 2
	GitLabCom ServiceType = 3
	GitBucket ServiceType = 4
	Git       ServiceType = 5
)

var serviceTypeNames = map[ServiceType]string{
	GitHub: "GitHub", GitLab: "GitLab", GitLabCom: "GitLabCom", GitBucket: "GitBucket", Git: "Git",
}

// Name is the type's name as the API spells it ("" when unknown).
func (t ServiceType) Name() string { return serviceTypeNames[t] }

// TypeView is one service type (GET /admin/git/types).
type TypeView struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Types lists the service types in id order.
func Types() []TypeView {
	out := make([]TypeView, 0, len(serviceTypeNames))
	for t := GitHub; t <= Git; t++ {
		out = append(out, TypeView{ID: int(t), Name: t.Name()})
	}
	return out
}

// DefaultTimeout bounds each call to a git server or service API.
const DefaultTimeout = 30 * time.Second

// InUse reports what still uses an endpoint; see package inuse.
type InUse = inuse.Check

// Service implements the git domain.
type Service struct {
	db      *store.DB
	secrets *secret.Box
	log     *slog.Logger
	http    *http.Client
	git     transport.Transport // smart HTTP through http
	now     func() time.Time
	timeout time.Duration
	inUse   []InUse
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithTimeout bounds each call to a git server (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(s *Service) { s.timeout = d } }

// WithInUse adds a check that blocks deleting a git endpoint still in use.
// The job tables add theirs here (see defaultInUse for the tenant's).
func WithInUse(checks ...InUse) Option {
	return func(s *Service) { s.inUse = append(s.inUse, checks...) }
}

// New returns the service. client makes every HTTP call (git smart HTTP and
// the GitHub/GitLab APIs); it should not follow redirects off http(s).
func New(db *store.DB, secrets *secret.Box, log *slog.Logger, client *http.Client, opts ...Option) *Service {
	s := &Service{db: db, secrets: secrets, log: log, http: client, now: time.Now, timeout: DefaultTimeout,
		inUse: defaultInUse()}
	for _, o := range opts {
		o(s)
	}
	s.git = githttp.NewClient(s.http)
	return s
}

// defaultInUse are the checks every deletion runs, inside the deleting
// transaction: tenants that offer the endpoint and jobs or preprocessings
// that ran from it. More can be added from app through WithInUse.
func defaultInUse() []InUse {
	return []InUse{{What: "tenant", Query: func(ctx context.Context, q store.Q, id int64) ([]string, error) {
		return q.TenantsUsingGit(ctx, id)
	}}, {What: "job", Query: func(ctx context.Context, q store.Q, id int64) ([]string, error) {
		return q.JobsUsing(ctx, "git_id", id)
	}}}
}

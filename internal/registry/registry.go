// Package registry is the container registry domain: the registries
// administrators register (the admin's Registry screen), which of them a
// tenant may use, listing their images and tags with each user's
// credentials (go-containerregistry), and the image reference a job runs.
package registry

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/inuse"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// ServiceType says which kind of registry an endpoint is (the original's values).
type ServiceType int

const (
	DockerHub             ServiceType = 1
	GitLab                ServiceType = 2
	PrivateDockerRegistry ServiceType = 3
	NvidiaGPUCloud        ServiceType = 4
)

var serviceTypeNames = map[ServiceType]string{
	DockerHub: "DockerHub", GitLab: "GitLab", PrivateDockerRegistry: "PrivateDockerRegistry", NvidiaGPUCloud: "NvidiaGPUCloud",
}

// Name is the type's name as the API spells it ("" when unknown).
func (t ServiceType) Name() string { return serviceTypeNames[t] }

// TypeView is one service type (GET /admin/registry/types).
type TypeView struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Types lists the service types in id order.
func Types() []TypeView {
	out := make([]TypeView, 0, len(serviceTypeNames))
	for t := DockerHub; t <= NvidiaGPUCloud; t++ {
		out = append(out, TypeView{ID: int(t), Name: t.Name()})
	}
	return out
}

// DefaultTimeout bounds each call to a registry.
const DefaultTimeout = 30 * time.Second

// InUse reports what still uses an endpoint; see package inuse.
type InUse = inuse.Check

// Service implements the registry domain.
type Service struct {
	db      *store.DB
	secrets *secret.Box
	log     *slog.Logger
	http    *http.Client
	now     func() time.Time
	timeout time.Duration
	inUse   []InUse
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithTimeout bounds each call to a registry (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(s *Service) { s.timeout = d } }

// WithInUse adds a check that blocks deleting a registry still in use.
// The job tables add theirs here (see defaultInUse for the tenant's).
func WithInUse(checks ...InUse) Option {
	return func(s *Service) { s.inUse = append(s.inUse, checks...) }
}

// New returns the service; client makes every call to registries.
func New(db *store.DB, secrets *secret.Box, log *slog.Logger, client *http.Client, opts ...Option) *Service {
	s := &Service{db: db, secrets: secrets, log: log, http: client, now: time.Now, timeout: DefaultTimeout,
		inUse: defaultInUse()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// defaultInUse are the checks every deletion runs, inside the deleting
// transaction: tenants that offer the registry and jobs or preprocessings
// that ran from it. More can be added from app through WithInUse.
func defaultInUse() []InUse {
	return []InUse{{What: "tenant", Query: func(ctx context.Context, q store.Q, id int64) ([]string, error) {
		return q.TenantsUsingRegistry(ctx, id)
	}}, {What: "job", Query: func(ctx context.Context, q store.Q, id int64) ([]string, error) {
		return q.JobsUsing(ctx, "registry_id", id)
	}}}
}

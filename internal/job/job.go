// Package job is the job domain: trainings, inferences and preprocessing
// runs as users ask for them (kept in the database), handed to a runner as
// runner.Specs, and converged to what the runner reports. It holds the
// original's rules (reference §2.3 Training, Inference, Preprocessing and
// §8): validation of a run, dataset locking, parents, quota, statuses,
// halt/cancel/complete, deletion with children, attached and output files.
package job

import (
	"context"
	"log/slog"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/dataset"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Code is a repository at a fixed commit, with the caller's credentials.
type Code struct {
	GitID  int64 // the git endpoint, the tenant's default when none was named
	URL    string
	User   string
	Token  string
	Commit string
}

// CodeSource resolves git endpoints to code (internal/gitrepo).
type CodeSource interface {
	// Resolve returns the clone URL of owner/repo on git endpoint gitID
	// with the caller's token, and the full commit id: commit when given
	// (checked to exist), else the head of branch.
	Resolve(ctx context.Context, gitID int64, owner, repo, branch, commit string) (Code, error)
}

// Images resolves registry images to references (internal/registry).
type Images interface {
	// ImageRef returns the full reference and the registry it is in (the
	// tenant's default when registryID is 0).
	ImageRef(ctx context.Context, registryID int64, image, tag string) (string, int64, error)
	// PullAuth is the caller's login to the registry, nil for anonymous
	// pulls.
	PullAuth(ctx context.Context, registryID int64) (*runner.RegistryAuth, error)
}

// Stores finds the storage of a tenant's files.
type Stores interface {
	ForTenant(ctx context.Context, tenant string) (storage.Store, error)
}

// Accounts is what the job service needs from identity: a token for the
// job's code and a message to the launching user.
type Accounts interface {
	IssueJobToken(ctx context.Context, userID, tenantID int64, key string, lifetime time.Duration) (string, error)
	NotifyUser(ctx context.Context, userID int64, text string) bool
}

// NodeSettings are the administrator's decisions about the nodes
// (internal/cluster): which tenants may run jobs on which node.
type NodeSettings interface {
	NodeSettings(ctx context.Context) ([]runner.NodeSetting, error)
}

// History records each job's end with what it used (internal/cluster).
type History interface {
	JobEnded(ctx context.Context, j store.Job, tenant string)
}

// Service implements the job domain.
type Service struct {
	db       *store.DB
	runner   runner.Runner
	stores   Stores
	data     *data.Service
	datasets *dataset.Service
	code     CodeSource
	images   Images
	accounts Accounts
	nodes    NodeSettings
	history  History

	now       func() time.Time
	log       *slog.Logger
	serverURL func() string // KQI_SERVER for the jobs' code
	version   string
	urlTTL    time.Duration
	tokenTTL  time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithServerURL sets how jobs reach the API (KQI_SERVER).
func WithServerURL(f func() string) Option { return func(s *Service) { s.serverURL = f } }

// WithVersion sets KQI_VERSION.
func WithVersion(v string) Option { return func(s *Service) { s.version = v } }

// WithURLLifetime sets how long the signed URLs handed to jobs live.
func WithURLLifetime(d time.Duration) Option { return func(s *Service) { s.urlTTL = d } }

// WithTokenLifetime bounds a job's KQI_TOKEN; it is refused earlier, as soon
// as the job ends.
func WithTokenLifetime(d time.Duration) Option { return func(s *Service) { s.tokenTTL = d } }

// Deps are the services a job service is built on.
type Deps struct {
	DB       *store.DB
	Runner   runner.Runner
	Stores   Stores
	Data     *data.Service
	Datasets *dataset.Service
	Code     CodeSource
	Images   Images
	Accounts Accounts
	// Nodes, when set, limits placement to the nodes a tenant may use.
	Nodes NodeSettings
	// History, when set, is told of every job that ends.
	History History
}

// New returns the job service.
func New(d Deps, opts ...Option) *Service {
	s := &Service{db: d.DB, runner: d.Runner, stores: d.Stores, data: d.Data, datasets: d.Datasets,
		code: d.Code, images: d.Images, accounts: d.Accounts, nodes: d.Nodes, history: d.History,
		now: time.Now, log: slog.Default(), serverURL: func() string { return "" },
		urlTTL: 24 * time.Hour, tokenTTL: 10 * 24 * time.Hour}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Kind is the type of a job row.
type Kind = runner.Kind

// The kinds this service runs.
const (
	Training      = runner.Training
	Inference     = runner.Inference
	Preprocessing = runner.Preprocessing
)

// area is where a kind's container output and attached files are stored.
func areas(k Kind) (output, attach storage.ResourceType) {
	switch k {
	case Inference:
		return storage.InferenceContainerOutputFiles, storage.InferenceContainerAttachedFiles
	case Preprocessing:
		return storage.PreprocContainerOutputFiles, storage.PreprocContainerAttachedFiles
	default:
		return storage.TrainingContainerOutputFiles, storage.TrainingContainerAttachedFiles
	}
}

// userArea is where users' own attachments of a kind are stored.
func userArea(k Kind) storage.ResourceType {
	if k == Inference {
		return storage.InferenceHistoryAttachedFiles
	}
	return storage.TrainingHistoryAttachedFiles
}

// Nodes reports the runner's machines: capacity, what jobs hold, and GPUs
// with model and memory (the run form shows what is free).
func (s *Service) Nodes(ctx context.Context) ([]runner.Node, error) {
	ns, err := s.runner.Nodes(ctx)
	if ns == nil {
		ns = []runner.Node{}
	}
	return ns, err
}

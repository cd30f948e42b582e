// Package kube runs jobs on Kubernetes: one batch/v1 Job per run in the
// tenant's namespace. The job contract's prepare runs as an init container
// and finish as a native sidecar, both our own binary from a helper image;
// the user's command runs in the user's image as container main, wrapped by
// `kamonohashi job exec` (copied in by prepare) which tees the log into the
// attach directory and hands the exit code to finish.
//
// Status comes from shared informers on Jobs and Pods: every change is
// mapped to a runner.Status and pushed to watchers, and a periodic resync
// recomputes every job, so that missed events or a server restart converge
// to what the cluster holds. The Job object is the record: cancel and
// runner-decided failures are annotations on it, so they survive restarts.
package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/version"
)

var _ runner.Runner = (*Runner)(nil)

// Label and annotation keys. Objects of a run carry the managed-by label
// and the run's identity; nodes carry the scheduling labels of ApplyNodes.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kamonohashi"
	LabelKey       = "kamonohashi.io/key"
	LabelTenant    = "kamonohashi.io/tenant"
	LabelKind      = "kamonohashi.io/kind"
	LabelID        = "kamonohashi.io/id"

	// LabelPartition on a node names its partition; jobs that ask for a
	// partition select it.
	LabelPartition = "kamonohashi.io/partition"
	// LabelAccess=public on a node lets every tenant's jobs run there.
	LabelAccess = "kamonohashi.io/access"
	// TenantLabelPrefix + <tenant> = "true" on a node lets that tenant's
	// jobs run there (access Private).
	TenantLabelPrefix = "tenant.kamonohashi.io/"
	// LabelNotebook and LabelTensorBoard = "true" allow those kinds.
	LabelNotebook    = "kamonohashi.io/notebook"
	LabelTensorBoard = "kamonohashi.io/tensorboard"

	// AnnotationCanceled marks a Job that Cancel suspended.
	AnnotationCanceled = "kamonohashi.io/canceled"
	// AnnotationFailed holds why the runner gave up on a Job it suspended
	// (an image that cannot be pulled).
	AnnotationFailed = "kamonohashi.io/failed"
	// AnnotationUser names the user who started the run.
	AnnotationUser = "kamonohashi.io/user"

	// TenantJobsRole is the ClusterRole bound in every tenant namespace
	// to the server's identity (charts/kamonohashi/templates/rbac.yaml).
	TenantJobsRole = "kamonohashi-tenant-jobs"
)

// NFS is the directory storage's root as an NFS export: jobs mount their
// tenant's directory of it.
type NFS struct {
	Server string // host name or address
	Path   string // the exported directory, the storage root
}

// Options configures New. Zero values take the defaults.
type Options struct {
	// HelperImage holds our binary for prepare and finish (default
	// ghcr.io/kamonohashi-go/kamonohashi:<version>).
	HelperImage string
	// NamespacePrefix + tenant is a tenant's namespace (default "kqi-").
	NamespacePrefix string
	// NFS, when set, is the export that the storage directory is; jobs
	// mount it. Without it storage is S3: prepare downloads through the
	// spec's signed URLs and finish uploads through ServerURL.
	NFS *NFS
	// ServerURL is how pods reach this server (finish uploads there in S3
	// mode); default: the spec's KQI_SERVER.
	ServerURL string
	// ShmGB sizes /dev/shm (default: half the memory limit).
	ShmGB int
	// ServerSubject is the server's own identity, bound to TenantJobsRole
	// in each tenant namespace by ApplyTenant; nil binds nothing.
	ServerSubject *rbacv1.Subject
	// NodeSelector, a label selector, limits the nodes this server sees,
	// labels and places jobs on (empty: every node). Jobs also require it.
	NodeSelector string
	// Tolerations are added to every job's pod (e.g. of test nodes).
	Tolerations []corev1.Toleration
	// ImagePullTimeout is how long a pod may fail to pull its images
	// before the run is failed (default 5 min).
	ImagePullTimeout time.Duration
	// Resync is how often every job's status is recomputed from the
	// caches (default 30 s).
	Resync time.Duration
	Logger *slog.Logger
	Clock  func() time.Time
}

// DefaultHelperImage is the helper image of this build.
func DefaultHelperImage() string { return "ghcr.io/kamonohashi-go/kamonohashi:" + version.Version }

// Runner runs jobs as Kubernetes Jobs. It is safe for concurrent use.
type Runner struct {
	client kubernetes.Interface
	opt    Options
	log    *slog.Logger
	now    func() time.Time

	factory informers.SharedInformerFactory
	jobs    batchlisters.JobLister
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	// nodeReqs is Options.NodeSelector as node affinity.
	nodeReqs []corev1.NodeSelectorRequirement
	podIdx   cache.Indexer

	stop context.CancelFunc
	done <-chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu       sync.Mutex
	statuses map[string]runner.Status // by key, of the Jobs in the cache
	watchers map[*watcher]struct{}
}

// New connects to the cluster at cfg, starts the informers and waits for
// their caches, so that the first Watch reports every job there is.
func New(ctx context.Context, cfg *rest.Config, opts Options) (*Runner, error) {
	if opts.HelperImage == "" {
		opts.HelperImage = DefaultHelperImage()
	}
	if opts.NamespacePrefix == "" {
		opts.NamespacePrefix = "kqi-"
	}
	reqs, err := nodeRequirements(opts.NodeSelector)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: node selector %q: %w", opts.NodeSelector, err)
	}
	if opts.ImagePullTimeout <= 0 {
		opts.ImagePullTimeout = 5 * time.Minute
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		// A run takes two requests (Job, spec Secret): a burst of 100
		// submissions a second needs 200 QPS; client-go's default of 5
		// would queue them behind its own limiter.
		cfg.QPS, cfg.Burst = 500, 1000
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: %w", err)
	}
	r := &Runner{client: client, opt: opts, log: opts.Logger, now: opts.Clock, nodeReqs: reqs,
		statuses: map[string]runner.Status{}, watchers: map[*watcher]struct{}{}}
	if err := r.startInformers(ctx); err != nil {
		return nil, err
	}
	r.log.Info("kubernetes runner ready", "helperImage", opts.HelperImage, "namespacePrefix", opts.NamespacePrefix,
		"nfs", opts.NFS != nil, "jobs", len(r.statuses))
	return r, nil
}

// Close stops the informers. Jobs go on; a new Runner takes them over.
func (r *Runner) Close() error {
	r.stop()
	r.wg.Wait()
	return nil
}

// namespace is the tenant's namespace.
func (r *Runner) namespace(tenant string) string { return r.opt.NamespacePrefix + tenant }

// errNoCache is returned when the caches did not fill.
var errNoCache = errors.New("kubernetes runner: the caches of jobs, pods and nodes did not sync; is the API server reachable?")

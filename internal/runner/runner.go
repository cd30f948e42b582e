// Package runner is the boundary between the job service, which keeps what
// users asked for in the database, and the engines that run jobs: the local
// runner (processes on this machine) and the Kubernetes runner. Both take the
// same Spec and report the same Status, so the job service never knows which
// one it talks to.
//
// The backend is the source of truth for what runs: a runner reports every
// job it knows on Watch, also after a server restart, and the job service
// converges the database to it.
package runner

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// Kind is the type of a job.
type Kind string

// The job kinds of reference §1.5.
const (
	Training      Kind = "training"
	Inference     Kind = "inference"
	Preprocessing Kind = "preproc"
	Notebook      Kind = "notebook"
	TensorBoard   Kind = "tensorboard"
)

// Errors of runners; wrap them with %w.
var (
	ErrNotFound      = errors.New("no such job")
	ErrUnschedulable = errors.New("can never be scheduled") // asks for more than any node has
	ErrExists        = errors.New("job already submitted")
)

// Resources a job asks for: CPU cores, memory in GiB and whole GPUs, as the
// original's cpu/memory/gpu fields.
type Resources struct {
	CPU      int `json:"cpu"`
	MemoryGB int `json:"memory"`
	GPU      int `json:"gpu"`
}

// Spec is everything a runner needs to run one job. The job service builds
// it; runners map its storage keys to paths (a shared directory) or URLs
// (S3) in their own way.
type Spec struct {
	// Key names the run uniquely on this server, e.g. "sandbox-training-12".
	// It is a valid DNS label (Kubernetes Job name).
	Key    string `json:"key"`
	Tenant string `json:"tenant"`
	Kind   Kind   `json:"kind"`
	ID     int64  `json:"id"`
	User   string `json:"user"`

	// Image is the container image reference. Runners without containers
	// record it and say so in the job's events.
	Image string `json:"image"`
	// Pull is the registry login for Image, when the registry needs one.
	Pull *RegistryAuth `json:"pull,omitempty"`
	// Command is the user's entry point, run by `bash -c` in the code
	// directory (or the job's root when there is no code).
	Command string `json:"command"`
	// Env holds the contract variables (reference §1.4) and the user's
	// options, already merged by the job service. Runners add the layout
	// variables (KQI_INPUT_DIR and the like).
	Env       map[string]string `json:"env"`
	Resources Resources         `json:"resources"`
	Partition string            `json:"partition,omitempty"`

	Git *GitSource `json:"git,omitempty"`
	// Inputs are the dataset's files by path pair, materialised under the
	// input directory by link, or by copy when LocalDataSet.
	Inputs       []Input `json:"inputs,omitempty"`
	LocalDataSet bool    `json:"localDataSet"`
	// Mounts are earlier jobs' outputs the job reads, read-only, under
	// its root ("parent", "parent/12", "inference/3").
	Mounts []Mount `json:"mounts,omitempty"`

	// Output and Attach are where /kqi/output and /kqi/attach live in
	// storage: a tenant, an area and the prefix "<id>".
	Output storage.Key `json:"output"`
	Attach storage.Key `json:"attach"`
	// LogName is the file in Attach that receives stdout and stderr, e.g.
	// "training_stdout_stderr_12.log".
	LogName string `json:"logName"`
	// ZipName, when set, is the file in Attach that receives a zip of the
	// output after a successful run, e.g. "training_output_12.zip".
	ZipName string `json:"zipName,omitempty"`
}

// RegistryAuth is a user's login to the registry an image is pulled from.
type RegistryAuth struct {
	Server   string `json:"server"` // host[:port], as in a docker config
	User     string `json:"user"`
	Password string `json:"password"`
}

// GitSource is the code of a job at a fixed commit.
type GitSource struct {
	URL    string `json:"url"`
	User   string `json:"user,omitempty"`
	Token  string `json:"token,omitempty"`
	Commit string `json:"commit"`
}

// Input is one dataset file: where it goes under the input directory
// (the path pair's dataPath) and where it is stored.
type Input struct {
	DataPath string      `json:"dataPath"`
	Stored   storage.Key `json:"stored"`
	// URL is a signed download URL, for runners that cannot reach the
	// storage as a directory.
	URL string `json:"url,omitempty"`
}

// Mount is a read-only view of stored files inside the job.
type Mount struct {
	Path   string      `json:"path"`   // relative to the job root, e.g. "parent/12"
	Source storage.Key `json:"source"` // a prefix, e.g. sandbox/TrainingContainerOutputFiles/12
	// Files lists what is under Source with signed URLs (DataPath relative
	// to the mount), for runners that cannot reach the storage as a
	// directory: they download them instead of linking.
	Files []Input `json:"files,omitempty"`
}

// Phase is where a job is in its life.
type Phase string

// Phases, in order; the last four are terminal.
const (
	Queued    Phase = "Queued"    // accepted, waiting for resources; Reason says why
	Preparing Phase = "Preparing" // fetching code and data
	Running   Phase = "Running"   // the user's command runs
	Succeeded Phase = "Succeeded" // the command exited 0
	Failed    Phase = "Failed"    // non-zero exit, or prepare failed; Reason says which
	OOMKilled Phase = "OOMKilled" // the memory limit killed it
	Canceled  Phase = "Canceled"  // Cancel stopped it
)

// Terminal reports whether a job in phase p has ended.
func (p Phase) Terminal() bool {
	return p == Succeeded || p == Failed || p == OOMKilled || p == Canceled
}

// Status is a job's state as the runner sees it.
type Status struct {
	Key      string    `json:"key"`
	Phase    Phase     `json:"phase"`
	Reason   string    `json:"reason,omitempty"` // one line for people: why queued, why failed
	ExitCode *int      `json:"exitCode,omitempty"`
	Node     string    `json:"node,omitempty"`
	GPUs     []string  `json:"gpus,omitempty"`    // the devices assigned, e.g. GPU UUIDs or indexes
	Started  time.Time `json:"started,omitzero"`  // the user's command started
	Finished time.Time `json:"finished,omitzero"` // terminal phase reached
}

// Event is something that happened to a job, for its events list.
type Event struct {
	Time    time.Time `json:"time"`
	Error   bool      `json:"error"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// GPU is one accelerator of a node.
type GPU struct {
	Index     int    `json:"index"`
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	MemoryMiB int64  `json:"memoryMiB"`
}

// Node is a machine jobs run on, with what it has and what is allocated.
type Node struct {
	Name      string    `json:"name"`
	Partition string    `json:"partition,omitempty"`
	Capacity  Resources `json:"capacity"`
	Allocated Resources `json:"allocated"`
	GPUs      []GPU     `json:"gpus"`
}

// Runner runs jobs.
type Runner interface {
	// Submit starts a job, or queues it until resources are free. It
	// returns ErrExists when the key was submitted before, and may return
	// ErrUnschedulable when no node could ever hold it (the local runner
	// does; on a cluster, where nodes come and go, the job queues with the
	// scheduler's reason instead).
	Submit(ctx context.Context, s Spec) error
	// Cancel stops a job and everything it started. A job already ended
	// is left as it is.
	Cancel(ctx context.Context, key string) error
	// Status is a job's current state, or ErrNotFound.
	Status(ctx context.Context, key string) (Status, error)
	// Watch sends the status of every job the runner knows, then every
	// change, until ctx ends. Terminal statuses are never dropped.
	Watch(ctx context.Context) (<-chan Status, error)
	// Logs reads the job's combined stdout and stderr from the start;
	// with follow it then streams new output until the job ends or ctx
	// ends. Followers are pushed output as it is written, never by
	// polling a file.
	Logs(ctx context.Context, key string, follow bool) (io.ReadCloser, error)
	// Events lists what happened to a job, oldest first.
	Events(ctx context.Context, key string) ([]Event, error)
	// Nodes reports the machines with their capacity and allocations.
	Nodes(ctx context.Context) ([]Node, error)
	// Remove forgets an ended job's runtime state once the job service has
	// recorded its outcome. Its stored output and attached files stay.
	Remove(ctx context.Context, key string) error

	Cluster
}

package job

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
)

// ImageInput names a container image in a registry.
type ImageInput struct {
	RegistryID *int64 `json:"registryId,omitempty"`
	Image      string `json:"image"`
	Tag        string `json:"tag"`
}

// GitInput names code: a repository of a git endpoint at a branch or commit.
type GitInput struct {
	GitID      *int64 `json:"gitId,omitempty"`
	Repository string `json:"repository"`
	Owner      string `json:"owner"`
	Branch     string `json:"branch,omitempty"`
	CommitID   string `json:"commitId,omitempty"`
}

// RunInput is the body of POST /training/run and /inferences/run.
type RunInput struct {
	Name           string            `json:"name"`
	ContainerImage *ImageInput       `json:"containerImage"`
	DataSetID      int64             `json:"dataSetId"`
	ParentIDs      []int64           `json:"parentIds,omitempty"`
	InferenceIDs   []int64           `json:"inferenceIds,omitempty"` // inference only: parent inferences
	GitModel       *GitInput         `json:"gitModel"`
	EntryPoint     string            `json:"entryPoint"`
	Options        map[string]string `json:"options,omitempty"`
	CPU            int               `json:"cpu"`
	Memory         int               `json:"memory"`
	GPU            int               `json:"gpu"`
	Partition      string            `json:"partition,omitempty"`
	Ports          []int             `json:"ports,omitempty"`
	Memo           string            `json:"memo,omitempty"`
	Tags           []string          `json:"tags,omitempty"`
	Zip            bool              `json:"zip,omitempty"`
	LocalDataSet   bool              `json:"localDataSet,omitempty"`
}

// envName is the original's rule for option names.
var envName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// Bounds of a run's fields; the original's UI capped resources at these.
const (
	maxNameLen       = 256
	maxEntryPointLen = 64 << 10
	maxOptions       = 200
	maxCPU           = 250
	maxMemoryGB      = 500
	maxGPU           = 16
)

// checkRun validates what can be checked without the database.
func checkRun(in *RunInput, kind Kind) error {
	in.Name = strings.TrimSpace(in.Name)
	var errs []string
	if in.Name == "" {
		errs = append(errs, "name is required")
	} else if len(in.Name) > maxNameLen {
		errs = append(errs, fmt.Sprintf("name is longer than %d characters", maxNameLen))
	}
	if in.ContainerImage == nil || strings.TrimSpace(in.ContainerImage.Image) == "" || strings.TrimSpace(in.ContainerImage.Tag) == "" {
		errs = append(errs, "containerImage.image and containerImage.tag are required")
	}
	if in.DataSetID <= 0 {
		errs = append(errs, "dataSetId is required")
	}
	if in.GitModel == nil || strings.TrimSpace(in.GitModel.Repository) == "" {
		errs = append(errs, "gitModel.repository is required")
	}
	if strings.TrimSpace(in.EntryPoint) == "" {
		errs = append(errs, "entryPoint is required")
	} else if len(in.EntryPoint) > maxEntryPointLen {
		errs = append(errs, "entryPoint is longer than 64 KiB")
	}
	errs = append(errs, checkResources(in.CPU, in.Memory, in.GPU)...)
	if msg := checkOptions(in.Options); msg != "" {
		errs = append(errs, msg)
	}
	for _, t := range in.Tags {
		if err := data.CheckTag(t); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if kind != Inference && len(in.InferenceIDs) > 0 {
		errs = append(errs, "inferenceIds is for inferences only")
	}
	for _, p := range in.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Sprintf("port %d is not between 1 and 65535", p))
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid("the run request is invalid").WithDetail("%s", strings.Join(errs, "; "))
	}
	return nil
}

func checkResources(cpu, memory, gpu int) []string {
	var errs []string
	if cpu < 0 || cpu > maxCPU {
		errs = append(errs, fmt.Sprintf("cpu must be between 0 and %d", maxCPU))
	}
	if memory < 0 || memory > maxMemoryGB {
		errs = append(errs, fmt.Sprintf("memory must be between 0 and %d (GB)", maxMemoryGB))
	}
	if gpu < 0 || gpu > maxGPU {
		errs = append(errs, fmt.Sprintf("gpu must be between 0 and %d", maxGPU))
	}
	return errs
}

// checkOptions validates environment variable names; empty names are
// dropped, as the original did.
func checkOptions(opts map[string]string) string {
	if len(opts) > maxOptions {
		return fmt.Sprintf("at most %d options", maxOptions)
	}
	var bad []string
	for k, v := range opts {
		if k == "" {
			delete(opts, k)
			continue
		}
		if !envName.MatchString(k) || strings.ContainsRune(v, 0) {
			bad = append(bad, fmt.Sprintf("%q", k))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return "invalid environment variable names (use letters, digits, '-', '.', '_'; not starting with a digit): " +
			strings.Join(bad, ", ")
	}
	return ""
}

// Package jobcontract is the job contract shared by every runner: the
// directories a job sees, and the prepare and finish phases around the
// user's command (fetch the code, materialise the dataset, link parents;
// zip the output, record the result). The local runner runs the phases
// in-process; the Kubernetes runner runs them as `kamonohashi job prepare`
// and `kamonohashi job finish` containers. Both use this one
// implementation: no shell scripts, no sleeps.
package jobcontract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Layout holds the absolute directories of one job. On Kubernetes they are
// the original's /kqi/...; the local runner puts them under a per-job
// directory (Output and Attach may be the storage's own directories).
type Layout struct {
	Root   string `json:"root"`   // mounts (parent, parent/<id>, inference/<id>) are relative to it
	Input  string `json:"input"`  // the dataset by path pairs
	Output string `json:"output"` // what the job writes; zipped after success
	Attach string `json:"attach"` // the log and the zip
	Git    string `json:"git"`    // the code at the commit; the command's working directory
	Tmp    string `json:"tmp"`    // scratch space, TMPDIR, and the result record
}

// KubeLayout is the layout inside a Kubernetes pod: the original's paths.
func KubeLayout() Layout { return UnderRoot("/kqi") }

// UnderRoot puts every directory under root, as /kqi/... does.
func UnderRoot(root string) Layout {
	return Layout{
		Root:   root,
		Input:  filepath.Join(root, "input"),
		Output: filepath.Join(root, "output"),
		Attach: filepath.Join(root, "attach"),
		Git:    filepath.Join(root, "git"),
		Tmp:    filepath.Join(root, "tmp"),
	}
}

// Parent is where a single parent's output is linked (Mount path "parent").
func (l Layout) Parent() string { return filepath.Join(l.Root, "parent") }

// Check reports a layout whose directories are not all absolute.
func (l Layout) Check() error {
	for name, d := range l.dirs() {
		if !filepath.IsAbs(d) {
			return fmt.Errorf("layout: %s directory %q is not an absolute path", name, d)
		}
	}
	return nil
}

func (l Layout) dirs() map[string]string {
	return map[string]string{"root": l.Root, "input": l.Input, "output": l.Output,
		"attach": l.Attach, "git": l.Git, "tmp": l.Tmp}
}

// Create makes every directory of the layout.
func (l Layout) Create() error {
	if err := l.Check(); err != nil {
		return err
	}
	for name, d := range l.dirs() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("layout: create %s directory: %w", name, err)
		}
	}
	return nil
}

// Env is what a job is told about its layout, so that code written for
// /kqi/... also runs where the directories are elsewhere.
func (l Layout) Env() map[string]string {
	return map[string]string{
		"KQI_ROOT_DIR":   l.Root,
		"KQI_INPUT_DIR":  l.Input,
		"KQI_OUTPUT_DIR": l.Output,
		"KQI_ATTACH_DIR": l.Attach,
		"KQI_GIT_DIR":    l.Git,
		"KQI_PARENT_DIR": l.Parent(),
		"TMPDIR":         l.Tmp,
	}
}

// WorkDir is where the command runs: the code, or the root without code.
func (l Layout) WorkDir(s runner.Spec) string {
	if s.Git != nil {
		return l.Git
	}
	return l.Root
}

// Job is what the phases read: the spec and where its directories are. It
// travels as JSON between the server and the prepare/finish commands.
type Job struct {
	Spec   runner.Spec `json:"spec"`
	Layout Layout      `json:"layout"`
	// GitCache, when set, keeps a bare mirror of each repository between
	// jobs, so that a job whose commit is known fetches nothing.
	GitCache string `json:"gitCache,omitempty"`
}

// within joins rel (a '/'-separated relative path) to dir and refuses
// anything that would land outside dir.
func within(dir, rel string) (string, error) {
	if rel == "" || strings.HasPrefix(rel, "/") || strings.ContainsRune(rel, 0) || strings.Contains(rel, `\`) {
		return "", fmt.Errorf("path %q is not a relative path", rel)
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == ".." {
			return "", fmt.Errorf("path %q leaves its directory", rel)
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if p == dir || !strings.HasPrefix(p, dir+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q leaves its directory", rel)
	}
	return p, nil
}

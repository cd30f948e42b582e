package local

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// The files of a job directory <state>/<key>/.
const (
	specFile   = "spec.json"    // record: written by Submit
	launchFile = "launch.json"  // launch: written when admitted, before the supervisor starts
	stateFile  = "state.json"   // runner.Status: the server's while queued, then the supervisor's
	eventsFile = "events.jsonl" // runner.Event per line, appended by both
	sockFile   = "control.sock" // the supervisor's control socket
	superLog   = "supervisor.log"
	uploaded   = "uploaded" // marker: outputs were copied into an S3 store
)

// record is what Submit keeps of a job.
type record struct {
	Job       jobcontract.Job `json:"job"`
	Seq       int64           `json:"seq"` // submission order, for the queue after a restart
	Submitted time.Time       `json:"submitted"`
	// Upload: the store is not a directory; the runner copies output and
	// attach into it after the job ends.
	Upload   bool  `json:"upload,omitempty"`
	LogLimit int64 `json:"logLimit"`
	// CgroupParent is the cgroup v2 directory under which the supervisor
	// makes the job's cgroup; empty when limits cannot be enforced, with
	// the reason in NoCgroup.
	CgroupParent string `json:"cgroupParent,omitempty"`
	NoCgroup     string `json:"noCgroup,omitempty"`
	// Paths maps the stored keys of inputs and mounts to their paths on
	// this machine, when the store is a directory.
	Paths map[string]string `json:"paths,omitempty"`
}

// mapResolver resolves keys through record.Paths.
type mapResolver map[string]string

func (m mapResolver) LocalPath(k storage.Key) (string, bool) {
	p, ok := m[k.String()]
	return p, ok
}

// launch is what admission gave a job.
type launch struct {
	GPUs     []runner.GPU `json:"gpus"`
	Admitted time.Time    `json:"admitted"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// appendEvent adds one line to the job's events; one write, so that the
// server and the supervisor appending at once do not interleave.
func appendEvent(dir string, e runner.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, eventsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readEvents(dir string) ([]runner.Event, error) {
	b, err := os.ReadFile(filepath.Join(dir, eventsFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []runner.Event
	for _, line := range splitLines(b) {
		var e runner.Event
		if json.Unmarshal(line, &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// logPath is the attach log of a job.
func (r record) logPath() string {
	return filepath.Join(r.Job.Layout.Attach, r.Job.Spec.LogName)
}

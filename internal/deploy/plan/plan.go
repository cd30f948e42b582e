// Package plan is what deploy, clean and update do, as an ordered list of
// steps on the cluster's hosts. Each step has a check-then-act form: its
// check (a remote command run as root) exits 0 when the step is already
// done, and only then is the act skipped; after an act the check must pass.
// So a run can stop anywhere and a re-run resumes where it stopped, and a
// re-run after success changes nothing and says so. --dry-run runs only the
// checks (and read-only steps) and prints what would run on each host.
package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

// Step is one idempotent piece of work on one host.
type Step struct {
	Host string
	Name string
	// Check exits 0 when the step is already done; empty: always act.
	Check string
	// Act does the step.
	Act string
	// ReadOnly steps change nothing; they run in a dry run too.
	ReadOnly bool
	// Input names a value (from an earlier step's Output) that Check and Act
	// read on stdin; Content is a literal one; Upload a local file streamed
	// to Act.
	Input   string
	Content string
	Upload  string
	// Output keeps Act's trimmed stdout under this name for later steps.
	Output string
}

// Runner runs a command as root on one host (remote.Client).
type Runner interface {
	Sudo(ctx context.Context, cmd string, stdin io.Reader) (remote.Result, error)
}

var _ Runner = (*remote.Client)(nil)

// Outcome counts what a run did.
type Outcome struct {
	Done    int // already done: nothing to change
	Changed int // acted
	Pending int // dry run: would act
	Unknown int // dry run: host unreachable or a value not yet known
}

// Executor runs plans.
type Executor struct {
	Hosts  map[string]Runner // connected hosts; a missing one is unreachable
	Out    io.Writer
	DryRun bool
	// ShowCommands prints each act's command under its step in a dry run.
	ShowCommands bool
}

// Run executes steps in order and stops at the first failure, which names
// the host and the step. A real run refuses to start unless every host of
// the plan is connected.
func (e *Executor) Run(ctx context.Context, steps []Step) (Outcome, error) {
	var o Outcome
	if !e.DryRun {
		for _, s := range steps {
			if e.Hosts[s.Host] == nil {
				return o, fmt.Errorf("%s: not connected; nothing was changed", s.Host)
			}
		}
	}
	values := map[string]string{}
	for i, s := range steps {
		prefix := fmt.Sprintf("[%d/%d] %s: %s", i+1, len(steps), s.Host, s.Name)
		state, err := e.step(ctx, s, values)
		fmt.Fprintf(e.Out, "%s ... %s\n", prefix, state)
		if err != nil {
			return o, fmt.Errorf("%s: %s: %w", s.Host, s.Name, err)
		}
		switch {
		case state == stateDone || state == stateRead:
			o.Done++
		case state == stateChanged:
			o.Changed++
		case state == stateWould:
			o.Pending++
			if e.ShowCommands {
				for _, l := range strings.Split(strings.TrimSpace(s.Act), "\n") {
					fmt.Fprintf(e.Out, "      $ %s\n", l)
				}
			}
		default:
			o.Unknown++
		}
	}
	return o, nil
}

const (
	stateDone    = "already done"
	stateChanged = "done"
	stateRead    = "read"
	stateWould   = "would run"
	stateNoHost  = "not checked (host not connected)"
	stateNoValue = "not known yet (an earlier step makes it)"
)

func (e *Executor) step(ctx context.Context, s Step, values map[string]string) (string, error) {
	r := e.Hosts[s.Host]
	if r == nil {
		return stateNoHost, nil
	}
	input := func() (io.Reader, bool) {
		switch {
		case s.Input != "":
			v, ok := values[s.Input]
			return strings.NewReader(v), ok
		case s.Content != "":
			return strings.NewReader(s.Content), true
		}
		return nil, true
	}
	if s.Check != "" {
		in, ok := input()
		if !ok {
			return stateNoValue, nil
		}
		res, err := r.Sudo(ctx, s.Check, in)
		if err != nil {
			return "failed", err
		}
		if res.OK() {
			return stateDone, nil
		}
	}
	if e.DryRun && !s.ReadOnly {
		return stateWould, nil
	}
	in, ok := input()
	if !ok {
		if e.DryRun {
			return stateNoValue, nil
		}
		return "failed", fmt.Errorf("no value %q from an earlier step", s.Input)
	}
	if s.Upload != "" {
		f, err := os.Open(s.Upload)
		if err != nil {
			return "failed", err
		}
		defer f.Close()
		in = f
	}
	res, err := r.Sudo(ctx, s.Act, in)
	if err != nil {
		return "failed", err
	}
	if !res.OK() && e.DryRun {
		// A read-only step in a dry run reads what an earlier step makes.
		return stateNoValue, nil
	}
	if !res.OK() {
		return "failed", fmt.Errorf("exit status %d: %s", res.Exit, tail(res.Stderr+res.Stdout))
	}
	if s.Output != "" {
		values[s.Output] = strings.TrimSpace(res.Stdout)
	}
	if s.ReadOnly {
		return stateRead, nil
	}
	if s.Check != "" {
		in, _ := input()
		res, err := r.Sudo(ctx, s.Check, in)
		if err != nil {
			return "failed", err
		}
		if !res.OK() {
			return "failed", errors.New("the step ran but its check still fails")
		}
	}
	return stateChanged, nil
}

// tail is the last lines of a command's output, for an error message.
func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

// Summary is the closing line of a run.
func (o Outcome) Summary(dryRun bool) string {
	switch {
	case dryRun:
		return fmt.Sprintf("dry run: %d steps would run, %d already done, %d not checked; nothing was changed",
			o.Pending, o.Done, o.Unknown)
	case o.Changed == 0:
		return fmt.Sprintf("nothing to change: all %d steps were already done", o.Done)
	}
	return fmt.Sprintf("%d steps done, %d were already done", o.Changed, o.Done)
}

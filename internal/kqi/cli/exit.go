package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/config"
)

// Exit codes, the same for every command, so that scripts can tell what
// went wrong (documented in `kqi --help` and the README).
const (
	ExitOK          = 0
	ExitError       = 1   // the server refused the request, or another failure
	ExitUsage       = 2   // a wrong command, argument or option
	ExitAuth        = 3   // not logged in, the login expired, or a wrong user or password
	ExitNetwork     = 4   // the server cannot be reached, or is not KAMONOHASHI
	ExitJobFailed   = 10  // `wait`: the job failed: its command exited non-zero, or it could not start
	ExitJobKilled   = 11  // `wait`: the job was halted, or killed by its memory limit
	ExitJobCanceled = 12  // `wait`: a user canceled the job (KQI-UserCanceled)
	ExitInterrupted = 130 // Ctrl-C (SIGINT) or SIGTERM
)

const exitCodesHelp = `Exit codes:
  0    success (for "wait": the job completed)
  1    the server refused the request, or another failure
  2    a wrong command, argument or option
  3    not logged in, the login expired, or a wrong user name or password
  4    the server cannot be reached, or does not answer as KAMONOHASHI
  10   "wait": the job failed (its command exited non-zero, or it could not start)
  11   "wait": the job was halted, or killed by its memory limit
  12   "wait": a user canceled the job
  130  interrupted (Ctrl-C); an interrupted upload resumes when run again`

// usageError is a mistake in the command line itself.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// authError is a refused login.
type authError struct{ error }

func (e authError) Unwrap() error { return e.error }

// jobOutcome is a job that ended other than completed.
type jobOutcome struct {
	status string
	note   string
	code   int
}

func (e *jobOutcome) Error() string {
	if e.note != "" {
		return fmt.Sprintf("the job ended %s: %s", e.status, e.note)
	}
	return "the job ended " + e.status
}

// exitCode tells the code for err; started says whether the command's
// own code ran (errors before it are cobra's: a wrong command line).
func exitCode(err error, started bool) int {
	var (
		ue  usageError
		ae  authError
		ne  *client.NetworkError
		out *jobOutcome
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &out):
		return out.code
	case errors.As(err, &ue), !started:
		return ExitUsage
	case errors.As(err, &ae), errors.Is(err, client.ErrUnauthorized), errors.Is(err, config.ErrNotLoggedIn):
		return ExitAuth
	case errors.As(err, &ne):
		return ExitNetwork
	}
	return ExitError
}

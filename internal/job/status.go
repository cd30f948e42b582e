package job

import (
	"database/sql"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Status keys stored in jobs.status, as the original's (reference §1.7).
// "Pending" and "Running" are what a Kubernetes pod reports; the local
// runner reports the same words.
const (
	StatusNone         = "KQI-None"
	StatusOpened       = "KQI-Opened"
	StatusSubmitted    = "KQI-Running" // accepted, before the runner's first report
	StatusPending      = "Pending"
	StatusRunning      = "Running"
	StatusOOMKilled    = "OOMKilled"
	StatusCompleted    = "KQI-Completed"
	StatusUserCanceled = "KQI-UserCanceled"
	StatusKilled       = "KQI-Killed"
	StatusFailed       = "KQI-Failed"
	StatusError        = "KQI-Error"
)

// Status categories (the original's ContainerStatusType).
const (
	TypeNone    = "None"
	TypeRunning = "Running"
	TypeClosed  = "Closed"
	TypeFailed  = "Failed"
	TypeError   = "Error"
)

// StatusType is the category of a status key. OOMKilled counts as Failed:
// unlike the original, which kept the pod and called it Running, our job
// has ended when it is reported.
func StatusType(status string) string {
	switch status {
	case StatusNone, StatusOpened:
		return TypeNone
	case StatusCompleted, StatusUserCanceled:
		return TypeClosed
	case StatusKilled, StatusFailed, StatusOOMKilled, "KQI-Forbidden", "KQI-Invalid":
		return TypeFailed
	case StatusError, "KQI-Multiple", "KQI-Empty":
		return TypeError
	}
	return TypeRunning
}

// StatusName is the display name: the key without its "KQI-" prefix.
func StatusName(status string) string { return strings.TrimPrefix(status, "KQI-") }

// active reports whether a job with this status may still be halted,
// canceled or completed (the original's Exist(): Running or Error).
func active(status string) bool {
	t := StatusType(status)
	return t == TypeRunning || t == TypeError
}

// stateOf maps a runner's report to what is stored.
func stateOf(st runner.Status) store.JobState {
	s := store.JobState{Note: st.Reason, Node: st.Node, Devices: strings.Join(st.GPUs, ",")}
	if st.Phase == runner.Preparing && s.Note == "" {
		s.Note = "preparing: fetching the code and the dataset"
	}
	switch st.Phase {
	case runner.Queued, runner.Preparing:
		// A pod whose init containers (our prepare) run is Pending too.
		s.Status = StatusPending
	case runner.Running:
		s.Status = StatusRunning
	case runner.Succeeded:
		s.Status = StatusCompleted
	case runner.OOMKilled:
		s.Status = StatusOOMKilled
	case runner.Canceled:
		s.Status = StatusUserCanceled
	default:
		// A non-zero exit, as the original's finish container: halt, Killed.
		s.Status = StatusKilled
	}
	if st.ExitCode != nil {
		s.ExitCode = sql.NullInt64{Int64: int64(*st.ExitCode), Valid: true}
	}
	if !st.Started.IsZero() {
		s.JobStartedAt = sql.NullTime{Time: st.Started, Valid: true}
	}
	if st.Phase.Terminal() {
		end := st.Finished
		s.CompletedAt = sql.NullTime{Time: end, Valid: !end.IsZero()}
	}
	return s
}

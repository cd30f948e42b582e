package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Active reports whether job key still runs; the job's token is valid
// only while it does.
func (s *Service) Active(ctx context.Context, key string) (bool, error) {
	id, ok := parseKey(key)
	if !ok {
		return false, nil
	}
	j, err := s.db.Q().JobByIDAnyTenant(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return false, nil
	}
	return err == nil && !j.CompletedAt.Valid, err
}

// Watch converges the database to the runner until ctx ends: first the
// jobs the database thinks run but the runner does not know (their state
// was lost), then every status the runner reports.
func (s *Service) Watch(ctx context.Context) error {
	ch, err := s.runner.Watch(ctx)
	if err != nil {
		return fmt.Errorf("watch the runner: %w", err)
	}
	s.reconcile(ctx)
	for st := range ch {
		s.apply(ctx, st)
	}
	return ctx.Err()
}

// reconcile records as failed the jobs that have not ended but that the
// runner does not know.
func (s *Service) reconcile(ctx context.Context) {
	js, err := s.db.Q().ActiveJobs(ctx)
	if err != nil {
		s.log.Error("reconcile jobs", "error", err)
		return
	}
	for _, j := range js {
		key := Key(Kind(j.Kind), j.ID)
		_, err := s.runner.Status(ctx, key)
		if !errors.Is(err, runner.ErrNotFound) {
			continue
		}
		// A job submitted this instant may not be known yet.
		if j.Status == StatusSubmitted && s.now().Sub(j.CreatedAt) < submitGrace {
			continue
		}
		s.apply(ctx, runner.Status{Key: key, Phase: runner.Failed, Finished: s.now(),
			Reason: "the runner has no record of this job: its state was lost (was the runner's directory removed?)"})
	}
}

// submitGrace is how long a just-recorded job may be unknown to the runner.
const submitGrace = time.Minute

// apply records one status report.
func (s *Service) apply(ctx context.Context, st runner.Status) {
	id, ok := parseKey(st.Key)
	if !ok {
		return
	}
	q := s.db.Q()
	j, err := q.JobByIDAnyTenant(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return // deleted
	}
	if err != nil {
		s.log.Error("job status", "job", st.Key, "error", err)
		return
	}
	if j.CompletedAt.Valid {
		return
	}
	state := stateOf(st)
	// A job keeps its node and devices for its whole run; a report that
	// leaves them out does not erase what an earlier one said.
	if state.Node == "" {
		state.Node = j.Node
	}
	if state.Devices == "" {
		state.Devices = j.Devices
	}
	if st.Phase.Terminal() && !state.CompletedAt.Valid {
		state.CompletedAt = sql.NullTime{Time: s.now(), Valid: true}
	}
	if Kind(j.Kind) == Inference && st.Phase.Terminal() {
		s.recordValue(ctx, j)
	}
	if Kind(j.Kind) == Preprocessing && st.Phase == runner.Succeeded {
		if err := s.buildOutputs(ctx, j); err != nil {
			s.log.Warn("preprocessing outputs", "job", st.Key, "error", err)
			state.Status, state.Note = StatusFailed, "the output could not become data: "+err.Error()
		}
	}
	if !st.Phase.Terminal() && state.Status == j.Status && state.Note == j.Note && state.Node == j.Node &&
		state.Devices == j.Devices && (state.JobStartedAt.Valid == j.JobStartedAt.Valid) {
		return
	}
	changed, err := q.SetJobState(ctx, j.ID, state, s.now())
	if err != nil {
		s.log.Error("record job status", "job", st.Key, "error", err)
		return
	}
	if changed && st.Phase.Terminal() {
		j.Status, j.Note, j.CompletedAt = state.Status, state.Note, state.CompletedAt
		j.Node = state.Node
		if !j.JobStartedAt.Valid {
			j.JobStartedAt = state.JobStartedAt
		}
		s.ended(ctx, j)
	}
}

// maxValue bounds the value.txt of an inference kept in the database.
const maxValue = 4096

// ended does what follows a job's end: an inference's value.txt is read
// into the list, and the user is notified.
func (s *Service) ended(ctx context.Context, j store.Job) {
	kind := Kind(j.Kind)
	s.log.Info("job ended", "job", Key(kind, j.ID), "status", j.Status, "note", j.Note)
	t, err := s.db.Q().TenantByID(ctx, j.TenantID)
	if err != nil {
		return
	}
	if s.history != nil {
		s.history.JobEnded(ctx, j, t.Name)
	}
	if j.UserID.Valid && s.accounts != nil {
		text := fmt.Sprintf("KAMONOHASHI: %s %d %q in tenant %s ended: %s", kind, j.ID, j.Name, t.Name, StatusName(j.Status))
		if j.Note != "" {
			text += " (" + j.Note + ")"
		}
		if base := s.serverURL(); base != "" {
			text += "\n" + strings.TrimRight(base, "/") + "/" + consolePath(kind) + "/" + strconv.FormatInt(j.ID, 10)
		}
		go s.accounts.NotifyUser(context.WithoutCancel(ctx), j.UserID.Int64, text)
	}
}

func consolePath(k Kind) string {
	switch k {
	case Inference:
		return "inference"
	case Preprocessing:
		return "preprocess"
	}
	return "training"
}

// recordValue stores an ending inference's value.txt before its end is
// recorded, so that whoever sees it ended sees its value.
func (s *Service) recordValue(ctx context.Context, j store.Job) {
	t, err := s.db.Q().TenantByID(ctx, j.TenantID)
	if err != nil {
		return
	}
	if v, err := s.readValue(ctx, t.Name, j.ID); err == nil && v != "" {
		if err := s.db.Q().SetJobOutputValue(ctx, j.ID, v); err != nil {
			s.log.Warn("record the value of an inference", "job", j.ID, "error", err)
		}
	}
}

func (s *Service) readValue(ctx context.Context, tenant string, id int64) (string, error) {
	st, err := s.stores.ForTenant(ctx, tenant)
	if err != nil {
		return "", err
	}
	k := storage.Key{Tenant: tenant, Type: storage.InferenceContainerOutputFiles, Path: strconv.FormatInt(id, 10) + "/value.txt"}
	rc, _, err := st.Open(ctx, k, 0, maxValue)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return strings.TrimSpace(string(b)), err
}

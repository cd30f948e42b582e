package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// EditInput is PUT /training/{id} and /inferences/{id}; absent fields stay.
type EditInput struct {
	Name     *string   `json:"name,omitempty"`
	Memo     *string   `json:"memo,omitempty"`
	Favorite *bool     `json:"favorite,omitempty"`
	Tags     *[]string `json:"tags,omitempty"` // trainings only; replaces the tags
}

// Edit changes a job's name, memo, favorite flag and tags.
func (s *Service) Edit(ctx context.Context, kind Kind, id int64, in EditInput) (Details, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return Details{}, err
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > maxNameLen {
			return Details{}, apperr.Invalid("name must be 1 to %d characters", maxNameLen)
		}
		j.Name = name
	}
	if in.Memo != nil {
		j.Memo = *in.Memo
	}
	if in.Favorite != nil {
		j.Favorite = *in.Favorite
	}
	if in.Tags != nil {
		if kind != Training {
			return Details{}, apperr.Invalid("only trainings have tags")
		}
		for _, t := range *in.Tags {
			if err := data.CheckTag(t); err != nil {
				return Details{}, err
			}
		}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := q.UpdateJobMeta(ctx, j, p.UserName, s.now()); err != nil {
			return err
		}
		if in.Tags == nil {
			return nil
		}
		if err := q.ClearJobTags(ctx, j.ID); err != nil {
			return err
		}
		if err := s.setTags(ctx, q, p.TenantID, j.ID, *in.Tags); err != nil {
			return err
		}
		return q.PurgeTrainingTags(ctx, p.TenantID)
	})
	if err != nil {
		return Details{}, err
	}
	return s.Get(ctx, kind, id)
}

func (s *Service) setTags(ctx context.Context, q store.Q, tenantID, jobID int64, tags []string) error {
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		tid, err := q.EnsureTag(ctx, tenantID, store.TagTraining, t)
		if err != nil {
			return err
		}
		if err := q.AddJobTag(ctx, jobID, tid); err != nil {
			return err
		}
	}
	return nil
}

// TagsInput is the body of the bulk tag endpoints.
type TagsInput struct {
	ID   []int64  `json:"id"`
	Tags []string `json:"tags"`
}

// Tags lists the tenant's training tags.
func (s *Service) Tags(ctx context.Context) ([]string, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.db.Q().Tags(ctx, p.TenantID, store.TagTraining)
	if ts == nil {
		ts = []string{}
	}
	return ts, err
}

// BulkTags adds (add) or removes tags on many trainings in one transaction.
func (s *Service) BulkTags(ctx context.Context, in TagsInput, add bool) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	if len(in.ID) == 0 || len(in.Tags) == 0 {
		return apperr.Invalid("id and tags are required")
	}
	for _, t := range in.Tags {
		if err := data.CheckTag(t); err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		js, err := q.JobsByIDs(ctx, p.TenantID, in.ID)
		if err != nil {
			return err
		}
		found := map[int64]bool{}
		for _, j := range js {
			found[j.ID] = Kind(j.Kind) == Training
		}
		for _, id := range in.ID {
			if !found[id] {
				return apperr.NotFound("training %d is not found", id)
			}
			if add {
				err = s.setTags(ctx, q, p.TenantID, id, in.Tags)
			} else {
				for _, t := range in.Tags {
					if err = q.RemoveJobTag(ctx, p.TenantID, id, t); err != nil {
						break
					}
				}
			}
			if err != nil {
				return err
			}
		}
		return q.PurgeTrainingTags(ctx, p.TenantID)
	})
}

// Exit ends a running job with status (KQI-Killed for halt, KQI-UserCanceled
// for user-cancel, KQI-Completed for complete): the outcome is recorded at
// once, as the original did, and the runner stops what still runs.
func (s *Service) Exit(ctx context.Context, kind Kind, id int64, status string) (Details, error) {
	_, j, err := s.load(ctx, kind, id)
	if err != nil {
		return Details{}, err
	}
	if err := s.exit(ctx, j, status); err != nil {
		return Details{}, err
	}
	return s.Get(ctx, kind, id)
}

// ExitKey ends the job the runner knows as key, in any tenant, as Exit
// does: for the resource screens, which stop jobs by their runner name.
func (s *Service) ExitKey(ctx context.Context, key, status string) error {
	id, ok := parseKey(key)
	var j store.Job
	var err error
	if ok {
		j, err = s.db.Q().JobByIDAnyTenant(ctx, id)
	}
	if !ok || errors.Is(err, store.ErrNoRows) || (err == nil && Key(Kind(j.Kind), j.ID) != key) {
		return apperr.NotFound("job %s is not found", key)
	} else if err != nil {
		return err
	}
	return s.exit(ctx, j, status)
}

func (s *Service) exit(ctx context.Context, j store.Job, status string) error {
	kind := Kind(j.Kind)
	if !active(j.Status) {
		return apperr.Invalid("%s %d has already ended (%s)", kind, j.ID, StatusName(j.Status))
	}
	note := map[string]string{StatusKilled: "halted", StatusUserCanceled: "canceled by the user",
		StatusCompleted: "marked completed"}[status]
	if kind == Inference {
		s.recordValue(ctx, j)
	}
	now := s.now()
	st := store.JobState{Status: status, Note: note, Node: j.Node, Devices: j.Devices, ExitCode: j.ExitCode,
		JobStartedAt: j.JobStartedAt, CompletedAt: sql.NullTime{Time: now, Valid: true}}
	changed, err := s.db.Q().SetJobState(ctx, j.ID, st, now)
	if err != nil {
		return err
	}
	if err := s.runner.Cancel(ctx, Key(kind, j.ID)); err != nil {
		s.log.Warn("runner could not stop the job", "job", Key(kind, j.ID), "error", err)
	}
	if changed {
		j.Status, j.Note, j.CompletedAt = status, note, st.CompletedAt
		s.ended(context.WithoutCancel(ctx), j)
	}
	return nil
}

// Delete removes a job that has ended (a running one is stopped first), its
// stored outputs and attachments. A job other jobs read is kept (409).
func (s *Service) Delete(ctx context.Context, kind Kind, id int64) error {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return err
	}
	q := s.db.Q()
	n, err := q.JobChildren(ctx, j.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		return apperr.Conflict("%s %d is a parent of %d other jobs", kind, id, n).
			WithDetail("delete the jobs that use it first")
	}
	key := Key(kind, j.ID)
	if err := s.stop(ctx, key); err != nil {
		return err
	}
	files, err := q.JobFiles(ctx, j.ID)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := q.DeleteJob(ctx, p.TenantID, j.ID); err != nil {
			return err
		}
		return q.PurgeTrainingTags(ctx, p.TenantID)
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// The row is gone; what is left in storage is removed on a best-effort
	// basis (a failure is logged and leaves unreachable files, never rows
	// pointing at nothing).
	if err := s.runner.Remove(ctx, key); err != nil {
		s.log.Warn("runner could not forget the job", "job", key, "error", err)
	}
	s.removeFiles(ctx, p.TenantName, Kind(j.Kind), j.ID, files)
	return nil
}

// stopGrace bounds how long a delete waits for a job's processes to end
// (the runner gives them a few seconds after SIGTERM).
const stopGrace = 20 * time.Second

// stop cancels a job the runner still runs and waits until it has ended,
// so that its files are removed only once nothing writes them.
func (s *Service) stop(ctx context.Context, key string) error {
	st, err := s.runner.Status(ctx, key)
	if errors.Is(err, runner.ErrNotFound) || (err == nil && st.Phase.Terminal()) {
		return nil
	}
	if err != nil {
		return apperr.Unavailable("the runner cannot tell whether the job still runs").WithDetail("%v", err)
	}
	if err := s.runner.Cancel(ctx, key); err != nil {
		return apperr.Unavailable("the runner could not stop the job").WithDetail("%v", err)
	}
	deadline := time.Now().Add(stopGrace)
	for time.Now().Before(deadline) {
		st, err := s.runner.Status(ctx, key)
		if err != nil || st.Phase.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return apperr.Unavailable("%s is still stopping", key).WithDetail("try the delete again in a few seconds")
}

package job

import (
	"context"
	"errors"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// PreprocessInput is POST /preprocessings and PUT /preprocessings/{id}.
type PreprocessInput struct {
	Name           string      `json:"name"`
	EntryPoint     string      `json:"entryPoint,omitempty"`
	ContainerImage *ImageInput `json:"containerImage,omitempty"`
	GitModel       *GitInput   `json:"gitModel,omitempty"`
	Memo           string      `json:"memo,omitempty"`
	CPU            int         `json:"cpu"`
	Memory         int         `json:"memory"`
	GPU            int         `json:"gpu"`
}

// PreprocessPatch is PATCH /preprocessings/{id}: what may change after runs.
type PreprocessPatch struct {
	Name   *string `json:"name,omitempty"`
	Memo   *string `json:"memo,omitempty"`
	CPU    *int    `json:"cpu,omitempty"`
	Memory *int    `json:"memory,omitempty"`
	GPU    *int    `json:"gpu,omitempty"`
}

// PreprocessView is a preprocessing definition.
type PreprocessView struct {
	audit.View
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Memo           string    `json:"memo"`
	CPU            int       `json:"cpu"`
	Memory         int       `json:"memory"`
	GPU            int       `json:"gpu"`
	EntryPoint     string    `json:"entryPoint"`
	GitModel       GitView   `json:"gitModel"`
	ContainerImage ImageView `json:"containerImage"`
	IsLocked       bool      `json:"isLocked"` // it ran: only name, memo and resources may change
}

func preprocessView(p store.Preprocess, locked bool) PreprocessView {
	return PreprocessView{View: audit.Of(p.Audit), ID: p.ID, Name: p.Name, Memo: p.Memo, CPU: p.CPU, Memory: p.Memory,
		GPU: p.GPU, EntryPoint: p.EntryPoint, IsLocked: locked,
		GitModel:       GitView{GitID: p.GitID.Int64, Repository: p.Repository, Owner: p.Owner, Branch: p.Branch, CommitID: p.CommitID},
		ContainerImage: ImageView{RegistryID: p.RegistryID.Int64, Image: p.Image, Tag: p.Tag}}
}

func checkPreprocessName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxNameLen {
		return "", apperr.Invalid("name must be 1 to %d characters", maxNameLen)
	}
	// The name becomes a tag of the output data, so it follows the tag rule.
	return name, data.CheckTag(name)
}

func (in PreprocessInput) apply(p *store.Preprocess) error {
	name, err := checkPreprocessName(in.Name)
	if err != nil {
		return err
	}
	if errs := checkResources(in.CPU, in.Memory, in.GPU); len(errs) > 0 {
		return apperr.Invalid("%s", strings.Join(errs, "; "))
	}
	p.Name, p.Memo, p.EntryPoint, p.CPU, p.Memory, p.GPU = name, in.Memo, in.EntryPoint, in.CPU, in.Memory, in.GPU
	p.GitID, p.Repository, p.Owner, p.Branch, p.CommitID = store.NullInt(0), "", "", "", ""
	if g := in.GitModel; g != nil {
		p.GitID, p.Repository, p.Owner, p.Branch, p.CommitID = store.NullInt(deref(g.GitID)), g.Repository, g.Owner, g.Branch, g.CommitID
	}
	p.RegistryID, p.Image, p.Tag = store.NullInt(0), "", ""
	if c := in.ContainerImage; c != nil {
		p.RegistryID, p.Image, p.Tag = store.NullInt(deref(c.RegistryID)), c.Image, c.Tag
	}
	return nil
}

// Preprocesses lists the tenant's definitions.
func (s *Service) Preprocesses(ctx context.Context) ([]PreprocessView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.db.Q().ListPreprocesses(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]PreprocessView, len(ps))
	for i, d := range ps {
		out[i] = preprocessView(d, false)
	}
	return out, nil
}

func (s *Service) preprocess(ctx context.Context, id int64) (*auth.Principal, store.Preprocess, bool, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, store.Preprocess{}, false, err
	}
	q := s.db.Q()
	d, err := q.PreprocessByID(ctx, p.TenantID, id)
	if errors.Is(err, store.ErrNoRows) {
		return p, d, false, apperr.NotFound("preprocessing %d is not found", id)
	} else if err != nil {
		return p, d, false, err
	}
	runs, err := q.PreprocessRuns(ctx, p.TenantID, id)
	return p, d, len(runs) > 0, err
}

// GetPreprocess returns one definition.
func (s *Service) GetPreprocess(ctx context.Context, id int64) (PreprocessView, error) {
	_, d, locked, err := s.preprocess(ctx, id)
	return preprocessView(d, locked), err
}

// CreatePreprocess adds a definition; only the name is required.
func (s *Service) CreatePreprocess(ctx context.Context, in PreprocessInput) (PreprocessView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return PreprocessView{}, err
	}
	d := store.Preprocess{TenantID: p.TenantID}
	if err := in.apply(&d); err != nil {
		return PreprocessView{}, err
	}
	if d.ID, err = s.db.Q().InsertPreprocess(ctx, d, p.UserName, s.now()); err != nil {
		return PreprocessView{}, err
	}
	return s.GetPreprocess(ctx, d.ID)
}

// EditPreprocess replaces a definition that never ran (409 after).
func (s *Service) EditPreprocess(ctx context.Context, id int64, in PreprocessInput) (PreprocessView, error) {
	p, d, locked, err := s.preprocess(ctx, id)
	if err != nil {
		return PreprocessView{}, err
	}
	if locked {
		return PreprocessView{}, apperr.Conflict("preprocessing %d has run; only its name, memo and resources may change", id).
			WithDetail("use PATCH, or create a new preprocessing")
	}
	if err := in.apply(&d); err != nil {
		return PreprocessView{}, err
	}
	if err := s.db.Q().UpdatePreprocess(ctx, d, p.UserName, s.now()); err != nil {
		return PreprocessView{}, err
	}
	return s.GetPreprocess(ctx, id)
}

// PatchPreprocess changes name, memo and default resources.
func (s *Service) PatchPreprocess(ctx context.Context, id int64, in PreprocessPatch) (PreprocessView, error) {
	p, d, _, err := s.preprocess(ctx, id)
	if err != nil {
		return PreprocessView{}, err
	}
	if in.Name != nil {
		if d.Name, err = checkPreprocessName(*in.Name); err != nil {
			return PreprocessView{}, err
		}
	}
	if in.Memo != nil {
		d.Memo = *in.Memo
	}
	for _, f := range []struct {
		to   *int
		from *int
	}{{&d.CPU, in.CPU}, {&d.Memory, in.Memory}, {&d.GPU, in.GPU}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if errs := checkResources(d.CPU, d.Memory, d.GPU); len(errs) > 0 {
		return PreprocessView{}, apperr.Invalid("%s", strings.Join(errs, "; "))
	}
	if err := s.db.Q().UpdatePreprocess(ctx, d, p.UserName, s.now()); err != nil {
		return PreprocessView{}, err
	}
	return s.GetPreprocess(ctx, id)
}

// DeletePreprocess removes a definition that never ran (409 after).
func (s *Service) DeletePreprocess(ctx context.Context, id int64) error {
	p, _, locked, err := s.preprocess(ctx, id)
	if err != nil {
		return err
	}
	if locked {
		return apperr.Conflict("preprocessing %d has run and cannot be deleted", id).
			WithDetail("delete its histories first")
	}
	return s.db.Q().DeletePreprocess(ctx, p.TenantID, id)
}

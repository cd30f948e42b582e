package job

import (
	"archive/tar"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// PreprocessRunInput is POST /preprocessings/{id}/run.
type PreprocessRunInput struct {
	DataID    int64             `json:"dataId"`
	Options   map[string]string `json:"options,omitempty"`
	CPU       int               `json:"cpu"`
	Memory    int               `json:"memory"`
	GPU       int               `json:"gpu"`
	Partition string            `json:"partition,omitempty"`
}

// HistoryView is one run of a preprocessing on one data.
type HistoryView struct {
	ID             int64      `json:"id"`
	Key            string     `json:"key"`
	Status         string     `json:"status"`
	StatusType     string     `json:"statusType"`
	ConditionNote  string     `json:"conditionNote"`
	CreatedAt      time.Time  `json:"createdAt"`
	CompletedAt    *time.Time `json:"completedAt"`
	DataID         int64      `json:"dataId"`
	DataName       string     `json:"dataName"`
	PreprocessID   int64      `json:"preprocessId"`
	PreprocessName string     `json:"preprocessName"`
	OutputDataIDs  []int64    `json:"outputDataIds"`
}

func (s *Service) historyView(ctx context.Context, q store.Q, d store.Preprocess, j store.Job) (HistoryView, error) {
	v := HistoryView{ID: j.ID, Key: Key(Preprocessing, j.ID), Status: StatusName(j.Status), StatusType: StatusType(j.Status),
		ConditionNote: j.Note, CreatedAt: j.CreatedAt, CompletedAt: timePtr(j.CompletedAt), DataID: j.InputDataID.Int64,
		PreprocessID: d.ID, PreprocessName: d.Name}
	if in, err := q.DataByID(ctx, j.TenantID, j.InputDataID.Int64); err == nil {
		v.DataName = in.Name
	}
	ids, err := q.JobOutputData(ctx, j.ID)
	if ids == nil {
		ids = []int64{}
	}
	v.OutputDataIDs = ids
	return v, err
}

// Histories lists the runs of a preprocessing.
func (s *Service) Histories(ctx context.Context, id int64) ([]HistoryView, error) {
	p, d, _, err := s.preprocess(ctx, id)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	runs, err := q.PreprocessRuns(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryView, 0, len(runs))
	for _, j := range runs {
		v, err := s.historyView(ctx, q, d, j)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// run returns the run of preprocessing id on data dataID.
func (s *Service) run(ctx context.Context, id, dataID int64) (*auth.Principal, store.Preprocess, store.Job, error) {
	p, d, _, err := s.preprocess(ctx, id)
	if err != nil {
		return p, d, store.Job{}, err
	}
	j, err := s.db.Q().PreprocessRun(ctx, p.TenantID, id, dataID)
	if errors.Is(err, store.ErrNoRows) {
		return p, d, j, apperr.NotFound("preprocessing %d has no history for data %d", id, dataID)
	}
	return p, d, j, err
}

// History returns the run of a preprocessing on one data.
func (s *Service) History(ctx context.Context, id, dataID int64) (HistoryView, error) {
	_, d, j, err := s.run(ctx, id, dataID)
	if err != nil {
		return HistoryView{}, err
	}
	return s.historyView(ctx, s.db.Q(), d, j)
}

// HistoryJob returns the job id of a run, for its files, events and log.
func (s *Service) HistoryJob(ctx context.Context, id, dataID int64) (int64, error) {
	_, _, j, err := s.run(ctx, id, dataID)
	return j.ID, err
}

// newRun records a run of d on data (one per pair: 409 when it exists).
func (s *Service) newRun(ctx context.Context, p *auth.Principal, d store.Preprocess, dataID int64, status string,
	j store.Job) (store.Job, error) {
	q := s.db.Q()
	in, err := q.DataByID(ctx, p.TenantID, dataID)
	if errors.Is(err, store.ErrNoRows) {
		return j, apperr.NotFound("data %d is not found", dataID)
	} else if err != nil {
		return j, err
	}
	j.TenantID, j.Kind, j.Name, j.Status = p.TenantID, string(Preprocessing), d.Name, status
	j.UserID, j.PreprocessID, j.InputDataID = store.NullInt(p.UserID), store.NullInt(d.ID), store.NullInt(in.ID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if j.DisplayID, err = q.NextDisplayID(ctx, p.TenantID, string(Preprocessing)); err != nil {
			return err
		}
		j.ID, err = q.InsertJob(ctx, j, p.UserName, s.now())
		return err
	})
	if store.IsUnique(err) {
		return j, apperr.Conflict("data %d has already been processed by preprocessing %d", dataID, d.ID).
			WithDetail("delete that history to run it again")
	}
	return j, err
}

// OpenHistory records a run done outside the platform (the CLI's way):
// status Opened, outputs added with AddOutput, then complete or halt.
func (s *Service) OpenHistory(ctx context.Context, id, dataID int64) (HistoryView, error) {
	p, d, _, err := s.preprocess(ctx, id)
	if err != nil {
		return HistoryView{}, err
	}
	j, err := s.newRun(ctx, p, d, dataID, StatusOpened, store.Job{Options: "{}", Ports: "[]"})
	if err != nil {
		return HistoryView{}, err
	}
	return s.historyView(ctx, s.db.Q(), d, j)
}

// RunPreprocess starts a preprocessing on one data.
func (s *Service) RunPreprocess(ctx context.Context, id int64, in PreprocessRunInput) (HistoryView, error) {
	p, d, _, err := s.preprocess(ctx, id)
	if err != nil {
		return HistoryView{}, err
	}
	if d.EntryPoint == "" || d.Image == "" || d.Repository == "" {
		return HistoryView{}, apperr.Invalid("preprocessing %d has no entry point, image or repository to run", id).
			WithDetail("edit the preprocessing before running it")
	}
	errs := checkResources(in.CPU, in.Memory, in.GPU)
	if msg := checkOptions(in.Options); msg != "" {
		errs = append(errs, msg)
	}
	if len(errs) > 0 {
		return HistoryView{}, apperr.Invalid("the run request is invalid").WithDetail("%s", strings.Join(errs, "; "))
	}
	res := runner.Resources{CPU: in.CPU, MemoryGB: in.Memory, GPU: in.GPU}
	if err := s.checkCapacity(ctx, p.TenantID, p.TenantName, in.Partition, res); err != nil {
		return HistoryView{}, err
	}
	code, err := s.code.Resolve(ctx, d.GitID.Int64, d.Owner, d.Repository, d.Branch, d.CommitID)
	if err != nil {
		return HistoryView{}, err
	}
	ref, registryID, err := s.images.ImageRef(ctx, d.RegistryID.Int64, d.Image, d.Tag)
	if err != nil {
		return HistoryView{}, err
	}
	opts, _ := json.Marshal(nonNil(in.Options))
	j, err := s.newRun(ctx, p, d, in.DataID, StatusSubmitted, store.Job{
		GitID: store.NullInt(code.GitID), Repository: d.Repository, Owner: d.Owner, Branch: d.Branch, CommitID: code.Commit,
		GitURL: code.URL, EntryPoint: d.EntryPoint, RegistryID: store.NullInt(registryID), Image: d.Image, Tag: d.Tag, ImageRef: ref,
		Options: string(opts), Ports: "[]", CPU: in.CPU, Memory: in.Memory, GPU: in.GPU, Partition: in.Partition,
		LocalDataSet: true})
	if err != nil {
		return HistoryView{}, err
	}
	spec, err := s.spec(ctx, p, j, code, nil)
	if err == nil {
		err = s.addDataInputs(ctx, p, &spec, in.DataID)
	}
	if err == nil {
		err = s.runner.Submit(ctx, spec)
	}
	if err != nil {
		if derr := s.db.Q().DeleteJob(ctx, p.TenantID, j.ID); derr != nil {
			s.log.Error("could not remove a run the runner refused", "job", j.ID, "error", derr)
		}
		return HistoryView{}, submitError(err)
	}
	return s.historyView(ctx, s.db.Q(), d, j)
}

// addDataInputs puts the input data's files under <dataId>/ of the input
// directory, copied as the original downloaded them, and sets DATA_NAME and
// TAGS.
func (s *Service) addDataInputs(ctx context.Context, p *auth.Principal, sp *runner.Spec, dataID int64) error {
	q := s.db.Q()
	in, err := q.DataByID(ctx, p.TenantID, dataID)
	if err != nil {
		return err
	}
	files, err := q.DataFiles(ctx, p.TenantID, dataID)
	if err != nil {
		return err
	}
	st, err := s.tenantStore(ctx, p.TenantName)
	if err != nil {
		return err
	}
	_, local := st.(localPather)
	for _, f := range files {
		k := storage.Key{Tenant: p.TenantName, Type: storage.Data, Path: f.StoredPath}
		input := runner.Input{DataPath: strconv.FormatInt(dataID, 10) + "/" + f.FileName, Stored: k}
		if !local {
			if input.URL, err = st.GetURL(ctx, s.serverURL(), k, "", s.urlTTL); err != nil {
				return err
			}
		}
		sp.Inputs = append(sp.Inputs, input)
	}
	tags, err := q.DataTags(ctx, p.TenantID, dataID)
	if err != nil {
		return err
	}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	sp.Env["DATA_NAME"], sp.Env["TAGS"] = in.Name, strings.Join(names, ",")
	return nil
}

// AddOutputInput is POST .../histories/{dataId}/data: a new data made of
// uploaded files, recorded as an output of the run.
type AddOutputInput struct {
	Name  string         `json:"name"`
	Memo  string         `json:"memo,omitempty"`
	Tags  []string       `json:"tags,omitempty"`
	Files []data.AddFile `json:"files"`
}

// AddOutput adds an output data to a run that is open or running.
func (s *Service) AddOutput(ctx context.Context, id, dataID int64, in AddOutputInput) (data.View, error) {
	_, _, j, err := s.run(ctx, id, dataID)
	if err != nil {
		return data.View{}, err
	}
	if !active(j.Status) && j.Status != StatusOpened {
		return data.View{}, apperr.Invalid("the history has ended (%s); no more outputs", StatusName(j.Status))
	}
	v, err := s.data.Create(ctx, data.Input{Name: in.Name, Memo: in.Memo, Tags: in.Tags, ParentDataID: dataID})
	if err != nil {
		return data.View{}, err
	}
	if len(in.Files) > 0 {
		if _, err := s.data.AddFiles(ctx, v.ID, data.AddFilesInput{Files: in.Files}); err != nil {
			_ = s.data.Delete(ctx, v.ID)
			return data.View{}, err
		}
	}
	if err := s.db.Q().AddJobOutputData(ctx, j.ID, v.ID); err != nil {
		return data.View{}, err
	}
	return v, nil
}

// ExitHistory ends an open or running run with status (Completed or Killed).
func (s *Service) ExitHistory(ctx context.Context, id, dataID int64, status string) (HistoryView, error) {
	_, d, j, err := s.run(ctx, id, dataID)
	if err != nil {
		return HistoryView{}, err
	}
	if !active(j.Status) && j.Status != StatusOpened {
		return HistoryView{}, apperr.Invalid("the history has already ended (%s)", StatusName(j.Status))
	}
	now := s.now()
	st := store.JobState{Status: status, Note: map[string]string{StatusKilled: "halted"}[status], Node: j.Node,
		Devices: j.Devices, ExitCode: j.ExitCode, JobStartedAt: j.JobStartedAt, CompletedAt: sql.NullTime{Time: now, Valid: true}}
	if _, err := s.db.Q().SetJobState(ctx, j.ID, st, now); err != nil {
		return HistoryView{}, err
	}
	if j.Status != StatusOpened {
		if err := s.runner.Cancel(ctx, Key(Preprocessing, j.ID)); err != nil {
			s.log.Warn("runner could not stop the job", "job", j.ID, "error", err)
		}
	}
	j, err = s.db.Q().JobByIDAnyTenant(ctx, j.ID)
	if err != nil {
		return HistoryView{}, err
	}
	return s.historyView(ctx, s.db.Q(), d, j)
}

// DeleteHistory removes a run and the data it made (409 when one of them
// is in a locked dataset), so that the data can be processed again.
func (s *Service) DeleteHistory(ctx context.Context, id, dataID int64) error {
	p, _, j, err := s.run(ctx, id, dataID)
	if err != nil {
		return err
	}
	q := s.db.Q()
	outs, err := q.JobOutputData(ctx, j.ID)
	if err != nil {
		return err
	}
	if err := s.stop(ctx, Key(Preprocessing, j.ID)); err != nil {
		return err
	}
	if err := q.DeleteJob(ctx, p.TenantID, j.ID); err != nil {
		return err
	}
	for _, did := range outs {
		if err := s.data.Delete(ctx, did); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete output data %d: %w", did, err)
		}
	}
	_ = s.runner.Remove(ctx, Key(Preprocessing, j.ID))
	s.removeFiles(ctx, p.TenantName, Preprocessing, j.ID, nil)
	return nil
}

func isNotFound(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.KindNotFound
}

// buildOutputs turns each sub-directory of a finished run's output into a
// new data named after it, tagged with the preprocessing's name and the
// input's tags, with the input as parent (files directly under the output
// are not data, as in the original). All or none: a failure removes the
// data made so far.
func (s *Service) buildOutputs(ctx context.Context, j store.Job) error {
	q := s.db.Q()
	t, err := q.TenantByID(ctx, j.TenantID)
	if err != nil {
		return err
	}
	d, err := q.PreprocessByID(ctx, j.TenantID, j.PreprocessID.Int64)
	if err != nil {
		return err
	}
	tags, err := q.DataTags(ctx, j.TenantID, j.InputDataID.Int64)
	if err != nil {
		return err
	}
	names := []string{d.Name}
	for _, tg := range tags {
		if tg.Name != d.Name {
			names = append(names, tg.Name)
		}
	}
	st, err := s.stores.ForTenant(ctx, t.Name)
	if err != nil {
		return err
	}
	p := &auth.Principal{UserID: j.UserID.Int64, UserName: j.CreatedBy, TenantID: t.ID, TenantName: t.Name}
	pctx := auth.WithPrincipal(ctx, p)
	prefix := strconv.FormatInt(j.ID, 10)
	dirs, _, err := st.List(ctx, t.Name, storage.PreprocContainerOutputFiles, prefix)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	var made []int64
	fail := func(err error) error {
		for _, id := range made {
			_ = s.data.Delete(pctx, id)
		}
		return err
	}
	for _, dir := range dirs {
		files, err := walk(ctx, st, t.Name, storage.PreprocContainerOutputFiles, path.Join(prefix, dir))
		if err != nil {
			return fail(err)
		}
		if len(files) == 0 {
			continue
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(ctx, st, pw, files, path.Join(prefix, dir)+"/")) }()
		v, err := s.data.CreateFromArchive(pctx, data.Input{Name: dir, Tags: names, ParentDataID: j.InputDataID.Int64}, pr)
		_ = pr.Close()
		if err != nil {
			return fail(fmt.Errorf("data %s: %w", dir, err))
		}
		made = append(made, v.ID)
		if err := q.AddJobOutputData(ctx, j.ID, v.ID); err != nil {
			return fail(err)
		}
	}
	return nil
}

// walk lists every file under dir, depth first.
func walk(ctx context.Context, st storage.Store, tenant string, area storage.ResourceType, dir string) ([]storage.Object, error) {
	dirs, files, err := st.List(ctx, tenant, area, dir)
	if err != nil {
		return nil, err
	}
	for _, sub := range dirs {
		more, err := walk(ctx, st, tenant, area, path.Join(dir, sub))
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

func writeTar(ctx context.Context, st storage.Store, w io.Writer, files []storage.Object, strip string) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		rc, obj, err := st.Open(ctx, f.Key, 0, -1)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: strings.TrimPrefix(f.Key.Path, strip), Mode: 0o644, Size: obj.Size, ModTime: obj.ModTime,
			Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(tw, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

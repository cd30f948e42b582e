package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// DatasetRef is the dataset of a job in lists.
type DatasetRef struct {
	ID        int64  `json:"id"`
	DisplayID int64  `json:"displayId"`
	Name      string `json:"name"`
}

// View is a job in lists (the original's IndexOutputModel of trainings and
// inferences).
type View struct {
	audit.View
	ID                          int64       `json:"id"`
	DisplayID                   int64       `json:"displayId"`
	Name                        string      `json:"name"`
	Memo                        string      `json:"memo"`
	Status                      string      `json:"status"`
	StatusType                  string      `json:"statusType"`
	Favorite                    bool        `json:"favorite"`
	FullName                    string      `json:"fullName"`
	DataSet                     *DatasetRef `json:"dataSet"`
	EntryPoint                  string      `json:"entryPoint"`
	ParentFullNameList          []string    `json:"parentFullNameList"`
	ParentInferenceFullNameList []string    `json:"parentInferenceFullNameList,omitempty"`
	Tags                        []string    `json:"tags"`
	OutputValue                 string      `json:"outputValue,omitempty"`
	GPU                         int         `json:"gpu"`
	// StartedAt is when the run was asked for, CompletedAt when it ended.
	StartedAt   *time.Time `json:"startedAt"`
	CompletedAt *time.Time `json:"completedAt"`
}

// GitView is the code of a job.
type GitView struct {
	GitID      int64  `json:"gitId"`
	Repository string `json:"repository"`
	Owner      string `json:"owner"`
	Branch     string `json:"branch"`
	CommitID   string `json:"commitId"`
	URL        string `json:"url"`
}

// ImageView is the container image of a job.
type ImageView struct {
	RegistryID int64  `json:"registryId"`
	Image      string `json:"image"`
	Tag        string `json:"tag"`
	URL        string `json:"url"` // the full reference
}

// EnvVar is one environment variable a user set (a key and value pair).
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Details is one job with everything about it.
type Details struct {
	View
	Key              string    `json:"key"`
	GitModel         GitView   `json:"gitModel"`
	ContainerImage   ImageView `json:"containerImage"`
	Options          []EnvVar  `json:"options"`
	Parents          []View    `json:"parents"`
	ParentInferences []View    `json:"parentInferences,omitempty"`
	Node             string    `json:"node"`
	Devices          string    `json:"devices"` // the GPUs assigned, as the runner names them
	ExitCode         *int64    `json:"exitCode"`
	LogSummary       string    `json:"logSummary"`
	CPU              int       `json:"cpu"`
	Memory           int       `json:"memory"`
	Partition        string    `json:"partition"`
	Ports            []int     `json:"ports"`
	NodePorts        []EnvVar  `json:"nodePorts"`
	ConditionNote    string    `json:"conditionNote"`
	// WaitingTime runs from the request to the command's start,
	// ExecutionTime from there to the end (or now), as "1h02m03s".
	WaitingTime   string `json:"waitingTime"`
	ExecutionTime string `json:"executionTime"`
	Zip           bool   `json:"zip"`
	LocalDataSet  bool   `json:"localDataSet"`
	// RunnerNote says how the runner treats the image: the local runner
	// runs the command on the host and only records the image.
	RunnerNote string `json:"runnerNote,omitempty"`
}

func fullName(j store.Job) string { return strconv.FormatInt(j.ID, 10) + ":" + j.Name }

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// fewJobs is up to how many jobs lookups reads only what they refer to;
// past it, reading the tenant's whole tables at once is cheaper.
const fewJobs = 50

// lookups hold what views of many jobs share, read once per list.
type lookups struct {
	datasets map[int64]*DatasetRef
	parents  map[int64][]int64
	jobs     map[int64]store.Job // parents by id
	tags     map[int64][]string
}

func (s *Service) lookups(ctx context.Context, q store.Q, tenantID int64, kind Kind, js []store.Job) (lookups, error) {
	l := lookups{datasets: map[int64]*DatasetRef{}, parents: map[int64][]int64{}, jobs: map[int64]store.Job{}, tags: map[int64][]string{}}
	var ds []store.Dataset
	var err error
	if len(js) > fewJobs {
		ds, err = q.ListDatasets(ctx, tenantID)
	} else {
		// A job's details need its own dataset, not the tenant's all.
		for _, j := range js {
			if j.DatasetID.Valid && l.datasets[j.DatasetID.Int64] == nil {
				d, derr := q.DatasetByID(ctx, tenantID, j.DatasetID.Int64)
				if derr == nil {
					ds = append(ds, d)
					l.datasets[d.ID] = &DatasetRef{}
				} else if !errors.Is(derr, store.ErrNoRows) {
					return l, derr
				}
			}
		}
	}
	if err != nil {
		return l, err
	}
	for _, d := range ds {
		l.datasets[d.ID] = &DatasetRef{ID: d.ID, DisplayID: d.DisplayID, Name: d.Name}
	}
	var ps []store.JobParent
	if len(js) > fewJobs {
		ps, err = q.TenantJobParents(ctx, tenantID, string(kind))
	} else {
		ids := make([]int64, len(js))
		for i, j := range js {
			ids[i] = j.ID
		}
		ps, err = q.JobParents(ctx, tenantID, ids)
	}
	if err != nil {
		return l, err
	}
	var pids []int64
	for _, p := range ps {
		l.parents[p.JobID] = append(l.parents[p.JobID], p.ParentID)
		pids = append(pids, p.ParentID)
	}
	slices.Sort(pids)
	parents, err := q.JobsByIDs(ctx, tenantID, slices.Compact(pids))
	if err != nil {
		return l, err
	}
	for _, p := range parents {
		l.jobs[p.ID] = p
	}
	if kind == Training {
		ts, err := q.JobTags(ctx, tenantID, 0)
		if err != nil {
			return l, err
		}
		for _, t := range ts {
			l.tags[t.JobID] = append(l.tags[t.JobID], t.Name)
		}
	}
	return l, nil
}

func (l lookups) view(j store.Job) View {
	v := View{View: audit.Of(j.Audit), ID: j.ID, DisplayID: j.DisplayID, Name: j.Name, Memo: j.Memo,
		Status: StatusName(j.Status), StatusType: StatusType(j.Status), Favorite: j.Favorite, FullName: fullName(j),
		EntryPoint: j.EntryPoint, ParentFullNameList: []string{}, Tags: l.tags[j.ID], OutputValue: j.OutputValue,
		GPU: j.GPU, StartedAt: timePtr(j.StartedAt), CompletedAt: timePtr(j.CompletedAt)}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if j.DatasetID.Valid {
		v.DataSet = l.datasets[j.DatasetID.Int64]
	}
	for _, pid := range l.parents[j.ID] {
		p, ok := l.jobs[pid]
		if !ok {
			continue
		}
		if Kind(p.Kind) == Inference && Kind(j.Kind) == Inference {
			v.ParentInferenceFullNameList = append(v.ParentInferenceFullNameList, fullName(p))
		} else {
			v.ParentFullNameList = append(v.ParentFullNameList, fullName(p))
		}
	}
	return v
}

// List returns the tenant's jobs of a kind, newest first.
func (s *Service) List(ctx context.Context, kind Kind) ([]View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	js, err := q.ListJobs(ctx, p.TenantID, string(kind))
	if err != nil {
		return nil, err
	}
	l, err := s.lookups(ctx, q, p.TenantID, kind, js)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(js))
	for i, j := range js {
		out[i] = l.view(j)
	}
	return out, nil
}

// load returns the caller's job of a kind, or a 404 naming it.
func (s *Service) load(ctx context.Context, kind Kind, id int64) (*auth.Principal, store.Job, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, store.Job{}, err
	}
	j, err := s.db.Q().JobByID(ctx, p.TenantID, string(kind), id)
	if errors.Is(err, store.ErrNoRows) {
		return p, j, apperr.NotFound("%s %d is not found", kind, id)
	}
	return p, j, err
}

// Get returns one job with its details.
func (s *Service) Get(ctx context.Context, kind Kind, id int64) (Details, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return Details{}, err
	}
	q := s.db.Q()
	l, err := s.lookups(ctx, q, p.TenantID, kind, []store.Job{j})
	if err != nil {
		return Details{}, err
	}
	d := Details{View: l.view(j), Key: Key(kind, j.ID),
		GitModel: GitView{GitID: j.GitID.Int64, Repository: j.Repository, Owner: j.Owner, Branch: j.Branch,
			CommitID: j.CommitID, URL: j.GitURL},
		ContainerImage: ImageView{RegistryID: j.RegistryID.Int64, Image: j.Image, Tag: j.Tag, URL: j.ImageRef},
		Options:        []EnvVar{}, Parents: []View{}, Node: j.Node, Devices: j.Devices, CPU: j.CPU, Memory: j.Memory,
		Partition: j.Partition, Ports: []int{}, NodePorts: []EnvVar{}, ConditionNote: j.Note,
		Zip: j.Zip, LocalDataSet: j.LocalDataSet,
		RunnerNote: "the local runner runs the command on the server's host; the image is recorded for clusters"}
	if j.ExitCode.Valid {
		d.ExitCode = &j.ExitCode.Int64
	}
	var opts map[string]string
	_ = json.Unmarshal([]byte(j.Options), &opts)
	for k, v := range opts {
		d.Options = append(d.Options, EnvVar{Key: k, Value: v})
	}
	slices.SortFunc(d.Options, func(a, b EnvVar) int { return strings.Compare(a.Key, b.Key) })
	_ = json.Unmarshal([]byte(j.Ports), &d.Ports)
	for _, pid := range l.parents[j.ID] {
		pj, ok := l.jobs[pid]
		if !ok {
			continue
		}
		if Kind(pj.Kind) == Inference {
			d.ParentInferences = append(d.ParentInferences, l.view(pj))
		} else {
			d.Parents = append(d.Parents, l.view(pj))
		}
	}
	d.WaitingTime, d.ExecutionTime = durations(j, s.now())
	return d, nil
}

// durations splits a job's life into waiting (request to command start)
// and execution (command start to end, or now).
func durations(j store.Job, now time.Time) (waiting, execution string) {
	if !j.StartedAt.Valid {
		return "", ""
	}
	end := now
	if j.CompletedAt.Valid {
		end = j.CompletedAt.Time
	}
	if !j.JobStartedAt.Valid {
		return span(end.Sub(j.StartedAt.Time)), ""
	}
	return span(j.JobStartedAt.Time.Sub(j.StartedAt.Time)), span(end.Sub(j.JobStartedAt.Time))
}

func span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprint(d.Round(time.Second))
}

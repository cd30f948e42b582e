package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// jobArea describes the routes a kind of job shares: trainings under
// /api/v2/training, inferences under /api/v2/inferences.
type jobArea struct {
	kind    job.Kind
	base    string
	tag     string
	menus   []string // who may use the area
	readers []string // who may also read one job (its children's users)
}

func (s *Server) jobRoutes(a jobArea) []*Route {
	withID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	one := func(fn func(r *http.Request, id int64) (job.Details, error)) func(r *http.Request) (job.Details, error) {
		return func(r *http.Request) (job.Details, error) {
			id, err := withID(r)
			if err != nil {
				return job.Details{}, err
			}
			return fn(r, id)
		}
	}
	exit := func(status string) func(r *http.Request) (job.Details, error) {
		return one(func(r *http.Request, id int64) (job.Details, error) {
			return s.jobs.Exit(r.Context(), a.kind, id, status)
		})
	}
	return []*Route{
		rawEndpoint("GET", a.base, func(w http.ResponseWriter, r *http.Request) ([]job.View, error) {
			all, err := s.jobs.List(r.Context(), a.kind)
			if err != nil {
				return nil, err
			}
			hits, err := filterJobs(r, all)
			if err != nil {
				return nil, err
			}
			return page(w, r, hits)
		}).Perm(a.menus...).Paged().Q(jobFilters...).Doc(a.tag, "Jobs of the tenant, newest first, with live statuses"),

		endpoint("GET", a.base+"/simple", func(r *http.Request) ([]job.View, error) {
			return s.jobs.List(r.Context(), a.kind)
		}).Perm(a.menus...).Doc(a.tag, "Every job of the tenant, without paging"),

		endpoint("GET", a.base+"/mount", func(r *http.Request) ([]job.View, error) {
			all, err := s.jobs.List(r.Context(), a.kind)
			if err != nil {
				return nil, err
			}
			status := query(r, "status")
			out := []job.View{}
			for _, v := range all {
				if matchString(status, v.Status) {
					out = append(out, v)
				}
			}
			return out, nil
		}).Perm(auth.MenuCodeTraining, auth.MenuCodeInference, auth.MenuCodeNotebook).
			Q(Param{"status", "string", "filter on the status: substring, !negation"}).
			Doc(a.tag, "Jobs that other jobs may mount as parents"),

		endpoint("GET", a.base+"/{id}", one(func(r *http.Request, id int64) (job.Details, error) {
			return s.jobs.Get(r.Context(), a.kind, id)
		})).Perm(a.readers...).Doc(a.tag, "One job with its status, resources, code, image and timing"),

		endpoint("GET", a.base+"/{id}/events", func(r *http.Request) ([]runner.Event, error) {
			id, err := withID(r)
			if err != nil {
				return nil, err
			}
			return s.jobs.Events(r.Context(), a.kind, id)
		}).Perm(a.menus...).Doc(a.tag, "What happened to the job: queued, started, exited, OOM, canceled"),

		bodyEndpoint("POST", a.base+"/run", func(r *http.Request, in job.RunInput) (job.Details, error) {
			return s.jobs.Run(r.Context(), a.kind, in)
		}).Perm(a.menus...).Code(http.StatusCreated).Doc(a.tag, "Start a job: code at a commit, a dataset, resources"),

		bodyEndpoint("PUT", a.base+"/{id}", func(r *http.Request, in job.EditInput) (job.Details, error) {
			id, err := withID(r)
			if err != nil {
				return job.Details{}, err
			}
			return s.jobs.Edit(r.Context(), a.kind, id, in)
		}).Perm(a.menus...).Doc(a.tag, "Edit name, memo, favorite (and tags of a training)"),

		endpoint("POST", a.base+"/{id}/halt", exit(job.StatusKilled)).Perm(a.menus...).
			Doc(a.tag, "Stop the job as Killed"),
		endpoint("POST", a.base+"/{id}/user-cancel", exit(job.StatusUserCanceled)).Perm(a.menus...).
			Doc(a.tag, "Stop the job as UserCanceled"),
		endpoint("POST", a.base+"/{id}/complete", exit(job.StatusCompleted)).Perm(a.menus...).
			Doc(a.tag, "Mark the job Completed (and stop what still runs)"),

		endpoint("DELETE", a.base+"/{id}", func(r *http.Request) (NoContent, error) {
			id, err := withID(r)
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.jobs.Delete(r.Context(), a.kind, id)
		}).Perm(a.menus...).Doc(a.tag, "Delete a job with its stored files (409 while other jobs use it)"),
	}
}

// jobFilters are the list filters of trainings and inferences.
var jobFilters = []Param{
	{"Id", "string", "filter on id: a number, or >=, >, <=, < or = and a number"},
	{"Name", "string", "filter: substring, !negation"},
	{"ParentId", "string", "filter on a parent's id"},
	{"ParentName", "string", "filter on a parent's name: substring, !negation"},
	{"StartedAt", "string", "filter on the start date: >=2026-01-31 and the like"},
	{"StartedBy", "string", "filter: substring, !negation"},
	{"DataSet", "string", "filter on the dataset's name: substring, !negation"},
	{"Memo", "string", "filter: substring, !negation"},
	{"Status", "string", "filter: substring, !negation"},
	{"EntryPoint", "string", "filter: substring, !negation"},
	{"tag", "string", "tags the training must carry (repeat, or comma-separated); !tag: must not carry"},
}

func filterJobs(r *http.Request, all []job.View) ([]job.View, error) {
	f := map[string]string{}
	for _, p := range jobFilters {
		f[p.Name] = query(r, p.Name)
	}
	tags := queryList(r, "tag")
	hits := []job.View{}
	for _, v := range all {
		okID, err := matchNumber(f["Id"], v.ID)
		if err != nil {
			return nil, err
		}
		okTime, err := matchTime(f["StartedAt"], v.CreatedAt)
		if err != nil {
			return nil, err
		}
		ds := ""
		if v.DataSet != nil {
			ds = v.DataSet.Name
		}
		okParent := f["ParentId"] == "" && f["ParentName"] == ""
		for _, p := range v.ParentFullNameList {
			if matchString(f["ParentName"], p) && matchString(f["ParentId"], p[:indexColon(p)]) {
				okParent = true
			}
		}
		if okID && okTime && okParent && matchString(f["Name"], v.Name) && matchString(f["StartedBy"], v.CreatedBy) &&
			matchString(f["DataSet"], ds) && matchString(f["Memo"], v.Memo) && matchString(f["Status"], v.Status) &&
			matchString(f["EntryPoint"], v.EntryPoint) && matchTags(tags, v.Tags) {
			hits = append(hits, v)
		}
	}
	return hits, nil
}

func indexColon(s string) int {
	for i, c := range s {
		if c == ':' {
			return i
		}
	}
	return len(s)
}

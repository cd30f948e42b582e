package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

var (
	trainingArea = jobArea{kind: job.Training, base: "/api/v2/training", tag: "Training",
		menus: []string{auth.MenuCodeTraining}, readers: []string{auth.MenuCodeTraining, auth.MenuCodeInference}}
	inferenceArea = jobArea{kind: job.Inference, base: "/api/v2/inferences", tag: "Inference",
		menus: []string{auth.MenuCodeInference}, readers: []string{auth.MenuCodeInference}}
)

func (s *Server) trainingRoutes() []*Route {
	const tag = "Training"
	menus := trainingArea.menus
	rs := []*Route{
		endpoint("GET", "/api/v2/training/tags", func(r *http.Request) ([]string, error) {
			return s.jobs.Tags(r.Context())
		}).Perm(menus...).Doc(tag, "Training tags of the tenant"),

		bodyEndpoint("POST", "/api/v2/training/tags", func(r *http.Request, in job.TagsInput) (NoContent, error) {
			return NoContent{}, s.jobs.BulkTags(r.Context(), in, true)
		}).Perm(menus...).Doc(tag, "Add tags to many trainings"),

		bodyEndpoint("DELETE", "/api/v2/training/tags", func(r *http.Request, in job.TagsInput) (NoContent, error) {
			return NoContent{}, s.jobs.BulkTags(r.Context(), in, false)
		}).Perm(menus...).Doc(tag, "Remove tags from many trainings"),

		rawEndpoint("GET", "/api/v2/training/search", func(w http.ResponseWriter, r *http.Request) ([]job.View, error) {
			c, err := searchDetail(r)
			if err != nil {
				return nil, err
			}
			hits, err := s.jobs.Search(r.Context(), c)
			if err != nil {
				return nil, err
			}
			return page(w, r, hits)
		}).Perm(menus...).Paged().Q(searchParams...).Doc(tag, "Advanced search: id and date ranges, keyword fields with Or flags"),

		endpoint("GET", "/api/v2/training/search/fill", func(r *http.Request) (job.SearchFill, error) {
			return s.jobs.Fill(r.Context())
		}).Perm(menus...).Doc(tag, "Values the search form offers: users, statuses, tags, datasets"),

		endpoint("GET", "/api/v2/training/search-history", func(r *http.Request) ([]job.SavedSearch, error) {
			return s.jobs.SavedSearches(r.Context())
		}).Perm(menus...).Doc(tag, "The caller's saved search conditions"),

		bodyEndpoint("POST", "/api/v2/training/search-history", func(r *http.Request, in job.SavedSearchInput) (job.SavedSearch, error) {
			return s.jobs.SaveSearch(r.Context(), in)
		}).Perm(menus...).Code(http.StatusCreated).Doc(tag, "Save a search condition (name of 4 characters or more)"),

		endpoint("DELETE", "/api/v2/training/search-history/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.jobs.DeleteSearch(r.Context(), id)
		}).Perm(menus...).Doc(tag, "Delete a saved search condition"),
	}
	rs = append(rs, endpoint("GET", "/api/v2/runner/nodes", func(r *http.Request) ([]runner.Node, error) {
		return s.jobs.Nodes(r.Context())
	}).Perm(auth.MenuCodeTraining, auth.MenuCodeInference, auth.MenuCodePreprocess, auth.MenuCodeNotebook).
		Doc("Runner", "Machines that run jobs (new): capacity, allocated resources, GPUs with model and memory"))
	rs = append(rs, s.jobRoutes(trainingArea)...)
	rs = append(rs, s.jobFileRoutes(trainingArea)...)
	rs = append(rs, s.jobRoutes(inferenceArea)...)
	return append(rs, s.jobFileRoutes(inferenceArea)...)
}

var searchParams = func() []Param {
	ps := []Param{{"idLower", "integer", "smallest id"}, {"idUpper", "integer", "largest id"},
		{"startedAtLower", "string", "earliest start date, 2026-01-31"}, {"startedAtUpper", "string", "latest start date"}}
	for _, f := range []string{"name", "parentName", "startedBy", "dataSet", "memo", "status", "entryPoint", "tags"} {
		ps = append(ps, Param{f, "string", "words that must all occur (any with " + f + "Or=true); !word: must not"},
			Param{f + "Or", "boolean", "match any word of " + f})
	}
	return ps
}()

func searchDetail(r *http.Request) (job.SearchDetail, error) {
	var c job.SearchDetail
	var err error
	ids := []struct {
		name string
		to   **int64
	}{{"idLower", &c.IDLower}, {"idUpper", &c.IDUpper}}
	for _, f := range ids {
		if v := query(r, f.name); v != "" {
			n, perr := queryInt(r, f.name, 0)
			if perr != nil {
				return c, perr
			}
			n64 := int64(n)
			*f.to = &n64
		}
	}
	c.StartedAtLower, c.StartedAtUpper = query(r, "startedAtLower"), query(r, "startedAtUpper")
	words := []struct {
		name string
		to   *string
		or   *bool
	}{{"name", &c.Name, &c.NameOr}, {"parentName", &c.ParentName, &c.ParentNameOr}, {"startedBy", &c.StartedBy, &c.StartedByOr},
		{"dataSet", &c.DataSet, &c.DataSetOr}, {"memo", &c.Memo, &c.MemoOr}, {"status", &c.Status, &c.StatusOr},
		{"entryPoint", &c.EntryPoint, &c.EntryPointOr}, {"tags", &c.Tags, &c.TagsOr}}
	for _, f := range words {
		*f.to = query(r, f.name)
		if *f.or, err = queryBool(r, f.name+"Or"); err != nil {
			return c, err
		}
	}
	return c, nil
}

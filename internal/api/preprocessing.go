package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

func (s *Server) preprocessingRoutes() []*Route {
	const tag = "Preprocessing"
	const base = "/api/v2/preprocessings"
	menus := []string{auth.MenuCodePreprocess}
	withID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	history := func(r *http.Request) (int64, int64, error) {
		id, err := withID(r)
		if err != nil {
			return 0, 0, err
		}
		did, err := pathID(r, "dataId")
		return id, did, err
	}
	exit := func(status string) func(r *http.Request) (job.HistoryView, error) {
		return func(r *http.Request) (job.HistoryView, error) {
			id, did, err := history(r)
			if err != nil {
				return job.HistoryView{}, err
			}
			return s.jobs.ExitHistory(r.Context(), id, did, status)
		}
	}
	return []*Route{
		rawEndpoint("GET", base, func(w http.ResponseWriter, r *http.Request) ([]job.PreprocessView, error) {
			all, err := s.jobs.Preprocesses(r.Context())
			if err != nil {
				return nil, err
			}
			hits := []job.PreprocessView{}
			for _, p := range all {
				okID, err := matchNumber(query(r, "Id"), p.ID)
				if err != nil {
					return nil, err
				}
				okTime, err := matchTime(query(r, "CreatedAt"), p.CreatedAt)
				if err != nil {
					return nil, err
				}
				if okID && okTime && matchString(query(r, "Name"), p.Name) && matchString(query(r, "Memo"), p.Memo) {
					hits = append(hits, p)
				}
			}
			return page(w, r, hits)
		}).Perm(menus...).Paged().Q(Param{"Id", "string", "filter on id"}, Param{"Name", "string", "filter: substring, !negation"},
			Param{"CreatedAt", "string", "filter on the creation date"}, Param{"Memo", "string", "filter: substring, !negation"}).
			Doc(tag, "Preprocessing definitions of the tenant"),

		endpoint("GET", base+"/{id}", func(r *http.Request) (job.PreprocessView, error) {
			id, err := withID(r)
			if err != nil {
				return job.PreprocessView{}, err
			}
			return s.jobs.GetPreprocess(r.Context(), id)
		}).Perm(menus...).Doc(tag, "One preprocessing definition"),

		bodyEndpoint("POST", base, func(r *http.Request, in job.PreprocessInput) (job.PreprocessView, error) {
			return s.jobs.CreatePreprocess(r.Context(), in)
		}).Perm(menus...).Code(http.StatusCreated).Doc(tag, "Create a preprocessing (only the name is required)"),

		bodyEndpoint("PUT", base+"/{id}", func(r *http.Request, in job.PreprocessInput) (job.PreprocessView, error) {
			id, err := withID(r)
			if err != nil {
				return job.PreprocessView{}, err
			}
			return s.jobs.EditPreprocess(r.Context(), id, in)
		}).Perm(menus...).Doc(tag, "Replace a preprocessing that never ran (409 after)"),

		bodyEndpoint("PATCH", base+"/{id}", func(r *http.Request, in job.PreprocessPatch) (job.PreprocessView, error) {
			id, err := withID(r)
			if err != nil {
				return job.PreprocessView{}, err
			}
			return s.jobs.PatchPreprocess(r.Context(), id, in)
		}).Perm(menus...).Doc(tag, "Edit name, memo and default resources"),

		endpoint("DELETE", base+"/{id}", func(r *http.Request) (NoContent, error) {
			id, err := withID(r)
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.jobs.DeletePreprocess(r.Context(), id)
		}).Perm(menus...).Doc(tag, "Delete a preprocessing that never ran (409 after)"),

		endpoint("GET", base+"/{id}/histories", func(r *http.Request) ([]job.HistoryView, error) {
			id, err := withID(r)
			if err != nil {
				return nil, err
			}
			return s.jobs.Histories(r.Context(), id)
		}).Perm(menus...).Doc(tag, "Runs of a preprocessing, one per input data"),

		endpoint("GET", base+"/{id}/histories/{dataId}", func(r *http.Request) (job.HistoryView, error) {
			id, did, err := history(r)
			if err != nil {
				return job.HistoryView{}, err
			}
			return s.jobs.History(r.Context(), id, did)
		}).Perm(menus...).Doc(tag, "The run on one data, with the data it made"),

		endpoint("GET", base+"/{id}/histories/{dataId}/events", func(r *http.Request) ([]runner.Event, error) {
			id, did, err := history(r)
			if err != nil {
				return nil, err
			}
			jid, err := s.jobs.HistoryJob(r.Context(), id, did)
			if err != nil {
				return nil, err
			}
			return s.jobs.Events(r.Context(), job.Preprocessing, jid)
		}).Perm(menus...).Doc(tag, "What happened to the run"),

		endpoint("GET", base+"/{id}/histories/{dataId}/files", func(r *http.Request) ([]job.AttachedFileView, error) {
			id, did, err := history(r)
			if err != nil {
				return nil, err
			}
			jid, err := s.jobs.HistoryJob(r.Context(), id, did)
			if err != nil {
				return nil, err
			}
			withURL, err := queryBool(r, "withUrl")
			if err != nil {
				return nil, err
			}
			return s.jobs.Files(r.Context(), job.Preprocessing, jid, s.baseURL(r), withURL)
		}).Perm(menus...).Q(Param{"withUrl", "boolean", "add signed download URLs"}).Doc(tag, "The run's files (its log)"),

		newRoute[Raw]("GET", base+"/{id}/histories/{dataId}/log/stream", func(w http.ResponseWriter, r *http.Request) error {
			id, did, err := history(r)
			if err != nil {
				return err
			}
			jid, err := s.jobs.HistoryJob(r.Context(), id, did)
			if err != nil {
				return err
			}
			return s.streamLog(w, r, job.Preprocessing, jid)
		}).Perm(menus...).Produces("text/event-stream").Doc(tag, "The run's output as Server-Sent Events (new)"),

		endpoint("POST", base+"/{id}/histories/{dataId}", func(r *http.Request) (job.HistoryView, error) {
			id, did, err := history(r)
			if err != nil {
				return job.HistoryView{}, err
			}
			return s.jobs.OpenHistory(r.Context(), id, did)
		}).Perm(menus...).Code(http.StatusCreated).Doc(tag, "Open a run done outside the platform (outputs added by the CLI)"),

		bodyEndpoint("POST", base+"/{id}/run", func(r *http.Request, in job.PreprocessRunInput) (job.HistoryView, error) {
			id, err := withID(r)
			if err != nil {
				return job.HistoryView{}, err
			}
			return s.jobs.RunPreprocess(r.Context(), id, in)
		}).Perm(menus...).Code(http.StatusCreated).Doc(tag, "Run the preprocessing on one data (once per data)"),

		bodyEndpoint("POST", base+"/{id}/histories/{dataId}/data", func(r *http.Request, in job.AddOutputInput) (data.View, error) {
			id, did, err := history(r)
			if err != nil {
				return data.View{}, err
			}
			return s.jobs.AddOutput(r.Context(), id, did, in)
		}).Perm(menus...).Code(http.StatusCreated).Doc(tag, "Add an output data to an open run"),

		endpoint("POST", base+"/{id}/histories/{dataId}/halt", exit(job.StatusKilled)).Perm(menus...).
			Doc(tag, "End the run as Killed"),
		endpoint("POST", base+"/{id}/histories/{dataId}/complete", exit(job.StatusCompleted)).Perm(menus...).
			Doc(tag, "End the run as Completed"),

		endpoint("DELETE", base+"/{id}/histories/{dataId}", func(r *http.Request) (NoContent, error) {
			id, did, err := history(r)
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.jobs.DeleteHistory(r.Context(), id, did)
		}).Perm(menus...).Doc(tag, "Delete the run and the data it made (409 when one is in a locked dataset)"),
	}
}

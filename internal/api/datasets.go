package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/dataset"
)

func (s *Server) datasetRoutes() []*Route {
	const tag = "DataSet"
	readers := []string{auth.MenuCodeDataSet, auth.MenuCodeTraining, auth.MenuCodeInference, auth.MenuCodeNotebook}
	withID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	return []*Route{
		rawEndpoint("GET", "/api/v2/datasets", func(w http.ResponseWriter, r *http.Request) ([]dataset.View, error) {
			all, err := s.datasets.List(r.Context())
			if err != nil {
				return nil, err
			}
			idF, name, memo, created := query(r, "Id"), query(r, "Name"), query(r, "Memo"), query(r, "CreatedAt")
			hits := []dataset.View{}
			for _, d := range all {
				okID, err := matchNumber(idF, d.ID)
				if err != nil {
					return nil, err
				}
				okTime, err := matchTime(created, d.CreatedAt)
				if err != nil {
					return nil, err
				}
				if okID && okTime && matchString(name, d.Name) && matchString(memo, d.Memo) {
					hits = append(hits, d)
				}
			}
			return page(w, r, hits)
		}).Perm(readers...).Paged().Q(
			Param{"Id", "string", "filter on id: a number, or >=, >, <=, < or = and a number"},
			Param{"Name", "string", "filter: substring, !negation"},
			Param{"Memo", "string", "filter: substring, !negation"},
			Param{"CreatedAt", "string", "filter on the creation date: >=2026-01-31 and the like"},
		).Doc(tag, "Datasets of the tenant, newest first"),

		endpoint("GET", "/api/v2/datasets/{id}", func(r *http.Request) (dataset.Details, error) {
			id, err := withID(r)
			if err != nil {
				return dataset.Details{}, err
			}
			return s.datasets.Get(r.Context(), id)
		}).Perm(readers...).Doc(tag, "One dataset: entries by data type (or flat) and whether a training locked it"),

		endpoint("GET", "/api/v2/datasets/{id}/files", func(r *http.Request) (dataset.FilesView, error) {
			id, err := withID(r)
			if err != nil {
				return dataset.FilesView{}, err
			}
			withURL, err := queryBool(r, "withUrl")
			if err != nil {
				return dataset.FilesView{}, err
			}
			return s.datasets.Files(r.Context(), s.baseURL(r), id, withURL)
		}).Perm(readers...).Q(Param{"withUrl", "boolean", "add a signed download URL to each file"}).
			Doc(tag, "Every file of a dataset, by data type"),

		endpoint("GET", "/api/v2/datasets/{id}/pathpairs", func(r *http.Request) ([]dataset.PathPair, error) {
			id, err := withID(r)
			if err != nil {
				return nil, err
			}
			return s.datasets.PathPairs(r.Context(), id)
		}).Perm(readers...).Doc(tag, "Where each file goes under /kqi/input (dataPath) and where it is stored (storedPath)"),

		bodyEndpoint("POST", "/api/v2/datasets", func(r *http.Request, in dataset.Input) (dataset.View, error) {
			return s.datasets.Create(r.Context(), in)
		}).Perm(auth.MenuCodeDataSet).Code(http.StatusCreated).Doc(tag, "Create a dataset"),

		bodyEndpoint("PATCH", "/api/v2/datasets/{id}", func(r *http.Request, in dataset.MetaInput) (dataset.View, error) {
			id, err := withID(r)
			if err != nil {
				return dataset.View{}, err
			}
			return s.datasets.EditMeta(r.Context(), id, in)
		}).Perm(auth.MenuCodeDataSet).Doc(tag, "Edit name and memo (allowed when locked)"),

		bodyEndpoint("PUT", "/api/v2/datasets/{id}", func(r *http.Request, in dataset.EntriesInput) (dataset.View, error) {
			id, err := withID(r)
			if err != nil {
				return dataset.View{}, err
			}
			return s.datasets.EditEntries(r.Context(), id, in)
		}).Perm(auth.MenuCodeDataSet).Doc(tag, "Replace the entries (409 once a training uses the dataset)"),

		endpoint("DELETE", "/api/v2/datasets/{id}", func(r *http.Request) (NoContent, error) {
			id, err := withID(r)
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.datasets.Delete(r.Context(), id)
		}).Perm(auth.MenuCodeDataSet).Doc(tag, "Delete a dataset (409 once a training uses it)"),

		endpoint("GET", "/api/v2/datatypes", func(r *http.Request) ([]dataset.DataType, error) {
			return s.datasets.DataTypes(r.Context())
		}).Perm(auth.MenuCodeDataSet).Doc(tag, "Data types (training, testing, validation)"),
	}
}

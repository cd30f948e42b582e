package api

import (
	"io"
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	stores "github.com/kamonohashi-go/kamonohashi/internal/storage/endpoint"
)

func (s *Server) storageRoutes() []*Route {
	const tag = "Storage"
	return []*Route{
		endpoint("GET", "/api/v2/admin/storage/endpoints", func(r *http.Request) ([]stores.View, error) {
			return s.storages.List(r.Context())
		}).Perm(auth.MenuCodeStorage, auth.MenuCodeTenant).Doc(tag, "All storages"),

		endpoint("GET", "/api/v2/admin/storage/endpoints/{id}", func(r *http.Request) (stores.Details, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return stores.Details{}, err
			}
			return s.storages.Get(r.Context(), id)
		}).Perm(auth.MenuCodeStorage).Doc(tag, "One storage (the secret key is never returned)"),

		bodyEndpoint("POST", "/api/v2/admin/storage/endpoints", func(r *http.Request, in stores.Input) (stores.View, error) {
			return s.storages.Create(r.Context(), in)
		}).Perm(auth.MenuCodeStorage).Code(http.StatusCreated).
			Doc(tag, "Register a storage: an S3-compatible store (serverUrl, keys) or a directory (an NFS mount); it is checked before it is saved"),

		bodyEndpoint("PUT", "/api/v2/admin/storage/endpoints/{id}", func(r *http.Request, in stores.Input) (stores.View, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return stores.View{}, err
			}
			return s.storages.Edit(r.Context(), id, in)
		}).Perm(auth.MenuCodeStorage).Doc(tag, "Edit a storage (an empty secretKey keeps the stored one)"),

		endpoint("DELETE", "/api/v2/admin/storage/endpoints/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.storages.Delete(r.Context(), id)
		}).Perm(auth.MenuCodeStorage).Doc(tag, "Delete a storage no tenant uses"),

		endpoint("GET", "/api/v2/upload/parameter", func(r *http.Request) (data.MultipartUpload, error) {
			parts, err := queryInt(r, "partSum", 0)
			if err != nil {
				return data.MultipartUpload{}, err
			}
			return s.data.StartUpload(r.Context(), s.baseURL(r), query(r, "fileName"), parts, query(r, "type"))
		}).Q(
			Param{"fileName", "string", "name of the file being uploaded (its extension is kept)"},
			Param{"partSum", "integer", "number of parts, 1 to 10000"},
			Param{"type", "string", "Data, TrainingHistoryAttachedFiles or InferenceHistoryAttachedFiles"},
		).Doc(tag, "Start a multipart upload: one signed PUT URL per part"),

		bodyEndpoint("POST", "/api/v2/upload/complete", func(r *http.Request, in data.CompleteInput) (data.CompleteOutput, error) {
			return s.data.CompleteUpload(r.Context(), in)
		}).Doc(tag, "Complete a multipart upload; partETags are \"<part number>+<etag>\" in part order"),

		endpoint("GET", "/api/v2/download/url", func(r *http.Request) (string, error) {
			return s.data.DownloadURL(r.Context(), s.baseURL(r), query(r, "type"), query(r, "storedPath"), query(r, "fileName"))
		}).Q(
			Param{"type", "string", "resource type (Data, TrainingContainerOutputFiles, …)"},
			Param{"storedPath", "string", "path of the file within the type"},
			Param{"fileName", "string", "name the browser saves the file as"},
			Param{"secure", "boolean", "accepted for compatibility; the URL follows the storage's own scheme"},
		).Doc(tag, "A signed download URL of a file of the tenant"),

		uploadEndpoint(s, "POST", "/api/v2/upload/stream", func(r *http.Request, body io.Reader) (data.Uploaded, error) {
			return s.data.StreamUpload(r.Context(), query(r, "fileName"), query(r, "type"), body)
		}).Accepts("application/octet-stream").Q(
			Param{"fileName", "string", "name of the file (its extension is kept)"},
			Param{"type", "string", "Data, TrainingHistoryAttachedFiles or InferenceHistoryAttachedFiles"},
		).Doc(tag, "Upload one file as the request body, in one request; register it like a completed multipart upload"),
	}
}

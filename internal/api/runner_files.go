package api

import (
	"io"
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
)

// RunnerFile is a file a job's finish stored.
type RunnerFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// runnerFileRoutes serve the Kubernetes runner's finish sidecar when the
// storage is not mounted in jobs (S3): it uploads the job's output and
// attach directories here, one file per request, with the job's own
// token, which is refused for any other job and once the job has ended.
func (s *Server) runnerFileRoutes() []*Route {
	if s.storages == nil {
		return nil
	}
	return []*Route{
		uploadEndpoint(s, "PUT", "/api/v2/runner/jobs/{key}/files/{area}/{path...}", func(r *http.Request, body io.Reader) (RunnerFile, error) {
			p, err := auth.FromContext(r.Context())
			if err != nil {
				return RunnerFile{}, err
			}
			key := r.PathValue("key")
			if p.Job == "" || p.Job != key {
				return RunnerFile{}, apperr.Forbidden("only job %s's own token may store its files", key).
					WithDetail("this endpoint is for the job's finish container (KQI_TOKEN of that job)")
			}
			k, err := job.RunnerFileKey(p.TenantName, key, r.PathValue("area"), r.PathValue("path"))
			if err != nil {
				return RunnerFile{}, err
			}
			st, err := s.storages.ForTenant(r.Context(), p.TenantName)
			if err != nil {
				return RunnerFile{}, err
			}
			obj, err := st.Put(r.Context(), k, body)
			if err != nil {
				return RunnerFile{}, err
			}
			return RunnerFile{Path: r.PathValue("path"), Size: obj.Size}, nil
		}).Accepts("application/octet-stream").
			Doc("Runner", "Store a file of a running job's output or attach directory (the job's own token only)"),
	}
}

package api

import (
	"io"
	"net/http"
	"path"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/cluster"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// runnerUnavailable turns a runner's failure into 503; domain errors pass.
func runnerUnavailable(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	return apperr.Unavailable("the runner did not take the settings").WithDetail("%v", err)
}

// writeText returns a function that copies a log (or fails with its error)
// to w as plain text.
func writeText(w http.ResponseWriter) func(rc io.ReadCloser, err error) error {
	return func(rc io.ReadCloser, err error) error {
		if err != nil {
			return err
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err = io.Copy(w, rc)
		return err
	}
}

// containerRef reads the tenant (0: the caller's) and name of a container path.
func containerRef(r *http.Request, withTenant bool) (int64, string, error) {
	if !withTenant {
		return 0, r.PathValue("name"), nil
	}
	id, err := pathID(r, "tenantId")
	return id, r.PathValue("name"), err
}

func (s *Server) resourceRoutes() []*Route {
	const tag = "Resource"
	admin, tenant := auth.MenuCodeResource, auth.MenuCodeTenantResource
	var rs []*Route
	rs = append(rs,
		endpoint("GET", "/api/v2/admin/resource/nodes", func(r *http.Request) ([]cluster.NodeResource, error) {
			return s.cluster.NodeResources(r.Context())
		}).Perm(admin).Doc(tag, "Every node with what jobs hold there ('Unassigned': jobs not yet placed)"),

		endpoint("GET", "/api/v2/admin/resource/tenants", func(r *http.Request) ([]cluster.TenantResource, error) {
			return s.cluster.TenantResources(r.Context())
		}).Perm(admin).Doc(tag, "Every tenant's quota and what its jobs hold"),

		endpoint("GET", "/api/v2/admin/resource/containers", func(r *http.Request) ([]cluster.ContainerView, error) {
			return s.cluster.Containers(r.Context(), "")
		}).Perm(admin).Doc(tag, "Every job that runs or waits for resources"),

		endpoint("GET", "/api/v2/admin/resource/container-types", func(*http.Request) ([]cluster.EnumInfo, error) {
			return cluster.ContainerTypes(), nil
		}).Perm(admin).Doc(tag, "Container types"),

		endpoint("GET", "/api/v2/tenant/resource/containers", func(r *http.Request) ([]cluster.ContainerView, error) {
			p, err := auth.FromContext(r.Context())
			if err != nil {
				return nil, err
			}
			return s.cluster.Containers(r.Context(), p.TenantName)
		}).Perm(tenant).Doc(tag, "Jobs of the connected tenant that run or wait"),

		endpoint("GET", "/api/v2/tenant/resource/nodes", func(r *http.Request) ([]cluster.NodeResource, error) {
			return s.cluster.TenantNodeResources(r.Context())
		}).Perm(tenant).Doc(tag, "Nodes the connected tenant may use, with its jobs there"),
	)
	for _, a := range []struct {
		base       string
		withTenant bool
		menu       string
	}{
		{"/api/v2/admin/resource/containers/{tenantId}/{name}", true, admin},
		{"/api/v2/tenant/resource/containers/{name}", false, tenant},
	} {
		rs = append(rs,
			endpoint("GET", a.base, func(r *http.Request) (cluster.ContainerView, error) {
				id, name, err := containerRef(r, a.withTenant)
				if err != nil {
					return cluster.ContainerView{}, err
				}
				return s.cluster.Container(r.Context(), id, name)
			}).Perm(a.menu).Doc(tag, "One container (a job by its runner name, e.g. training-12)"),

			endpoint("DELETE", a.base, func(r *http.Request) (NoContent, error) {
				id, name, err := containerRef(r, a.withTenant)
				if err != nil {
					return NoContent{}, err
				}
				return NoContent{}, s.cluster.DeleteContainer(r.Context(), id, name)
			}).Perm(a.menu).Doc(tag, "Stop a container: its job ends as Killed"),

			newRoute[Raw]("GET", a.base+"/log", func(w http.ResponseWriter, r *http.Request) error {
				id, name, err := containerRef(r, a.withTenant)
				if err != nil {
					return err
				}
				return writeText(w)(s.cluster.ContainerLog(r.Context(), id, name))
			}).Perm(a.menu).Produces("text/plain").Doc(tag, "A container's output so far"),
		)
	}
	rs = append(rs, endpoint("GET", "/api/v2/admin/resource/containers/{tenantId}/{name}/events",
		func(r *http.Request) ([]runner.Event, error) {
			id, name, err := containerRef(r, true)
			if err != nil {
				return nil, err
			}
			return s.cluster.ContainerEvents(r.Context(), id, name)
		}).Perm(admin).Doc(tag, "What happened to a container"))
	return append(rs, s.historyRoutes()...)
}

func (s *Server) historyRoutes() []*Route {
	const tag = "Resource"
	type history struct {
		path     string
		what     string
		metadata func(*http.Request) (cluster.HistoryMetadata, error)
		write    func(r *http.Request, w io.Writer, dr cluster.DateRange, header bool) error
		remove   func(r *http.Request, in cluster.HistoryDeleteInput) (cluster.HistoryDeleteOutput, error)
	}
	var rs []*Route
	for _, h := range []history{
		{"/api/v2/admin/resource/histories/containers", "resource samples (every job on every node, hourly)",
			func(r *http.Request) (cluster.HistoryMetadata, error) {
				return s.cluster.ContainerHistoryMetadata(r.Context())
			},
			func(r *http.Request, w io.Writer, dr cluster.DateRange, header bool) error {
				return s.cluster.WriteContainerHistory(r.Context(), w, dr, header)
			},
			func(r *http.Request, in cluster.HistoryDeleteInput) (cluster.HistoryDeleteOutput, error) {
				return s.cluster.DeleteContainerHistory(r.Context(), in)
			}},
		{"/api/v2/admin/resource/histories/jobs", "job history (one row per ended job)",
			func(r *http.Request) (cluster.HistoryMetadata, error) {
				return s.cluster.JobHistoryMetadata(r.Context())
			},
			func(r *http.Request, w io.Writer, dr cluster.DateRange, header bool) error {
				return s.cluster.WriteJobHistory(r.Context(), w, dr, header)
			},
			func(r *http.Request, in cluster.HistoryDeleteInput) (cluster.HistoryDeleteOutput, error) {
				return s.cluster.DeleteJobHistory(r.Context(), in)
			}},
	} {
		rs = append(rs,
			endpoint("GET", h.path+"/metadata", h.metadata).Perm(auth.MenuCodeResource).
				Doc(tag, "How many rows of "+h.what+" are stored, and from when to when"),

			newRoute[Raw]("GET", h.path+"/data", func(w http.ResponseWriter, r *http.Request) error {
				dr, err := cluster.ParseDateRange(query(r, "startDate"), query(r, "endDate"))
				if err != nil {
					return err
				}
				header, err := queryBool(r, "withHeader")
				if err != nil {
					return err
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(h.path)+`.csv"`)
				return h.write(r, w, dr, header)
			}).Perm(auth.MenuCodeResource).Produces("text/csv").
				Q(Param{"startDate", "string", "from this date (2026-01-31, UTC) or RFC 3339 time; empty: the beginning"},
					Param{"endDate", "string", "up to this date, inclusive, or RFC 3339 time; empty: now"},
					Param{"withHeader", "boolean", "start with a header row"}).
				Doc(tag, "Download "+h.what+" as CSV (RFC 4180)"),

			bodyEndpoint("PATCH", h.path, h.remove).Perm(auth.MenuCodeResource).
				Doc(tag, "Delete "+h.what+" up to endDate, inclusive"),
		)
	}
	return rs
}

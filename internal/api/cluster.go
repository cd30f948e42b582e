package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/cluster"
)

// WithCluster serves the Cluster, Node and Resource areas.
func WithCluster(c *cluster.Service) Option { return func(s *Server) { s.cluster = c } }

// The menus that run jobs see the partitions, quota and nodes of their tenant.
var runMenus = []string{auth.MenuCodeTraining, auth.MenuCodePreprocess, auth.MenuCodeInference, auth.MenuCodeNotebook}

func (s *Server) clusterRoutes() []*Route {
	const tag, nodeTag = "Cluster", "Node"
	return []*Route{
		endpoint("GET", "/api/v2/tenant/partitions", func(r *http.Request) ([]string, error) {
			p, err := auth.FromContext(r.Context())
			if err != nil {
				return nil, err
			}
			return s.cluster.Partitions(r.Context(), p.TenantName)
		}).Perm(runMenus...).Doc(tag, "Partitions of the nodes the connected tenant may use"),

		endpoint("GET", "/api/v2/admin/partitions", func(r *http.Request) ([]string, error) {
			return s.cluster.Partitions(r.Context(), "")
		}).Perm(auth.MenuCodeNode).Doc(tag, "Partitions of every node"),

		endpoint("GET", "/api/v2/admin/quotas", func(r *http.Request) ([]cluster.QuotaView, error) {
			return s.cluster.Quotas(r.Context())
		}).Perm(auth.MenuCodeQuota).Doc(tag, "Quota of every tenant (0 = unlimited)"),

		bodyEndpoint("POST", "/api/v2/admin/quotas", func(r *http.Request, in []cluster.QuotaInput) ([]cluster.QuotaView, error) {
			return s.cluster.SetQuotas(r.Context(), in)
		}).Perm(auth.MenuCodeQuota).Doc(tag, "Set the quotas of the tenants listed (CPU ≤ 250, memory ≤ 500 GB, GPU ≤ 16; 0 = unlimited)"),

		endpoint("GET", "/api/v2/tenant/quota", func(r *http.Request) (cluster.QuotaView, error) {
			return s.cluster.TenantQuota(r.Context())
		}).Perm(append([]string{auth.MenuCodeTenantResource}, runMenus...)...).Doc(tag, "Quota of the connected tenant"),

		endpoint("GET", "/api/v2/tenant/nodes", func(r *http.Request) ([]cluster.NodeResource, error) {
			return s.cluster.TenantNodes(r.Context())
		}).Perm(runMenus...).Doc(tag, "Nodes the connected tenant may use, with capacity and allocation"),

		rawEndpoint("GET", "/api/v2/admin/nodes", func(w http.ResponseWriter, r *http.Request) ([]cluster.NodeView, error) {
			all, err := s.cluster.Nodes(r.Context())
			if err != nil {
				return nil, err
			}
			name := query(r, "name")
			hits := []cluster.NodeView{}
			for _, n := range all {
				if matchString(name, n.Name) {
					hits = append(hits, n)
				}
			}
			return page(w, r, hits)
		}).Perm(auth.MenuCodeNode).Paged().Q(Param{"name", "string", "filter: substring, !negation"}).
			Doc(nodeTag, "Registered nodes"),

		endpoint("GET", "/api/v2/admin/node-access-levels", func(*http.Request) ([]cluster.EnumInfo, error) {
			return cluster.AccessLevels(), nil
		}).Perm(auth.MenuCodeNode).Doc(nodeTag, "Node access levels: Disabled, Private, Public"),

		endpoint("GET", "/api/v2/admin/nodes/{id}", func(r *http.Request) (cluster.NodeDetails, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return cluster.NodeDetails{}, err
			}
			return s.cluster.Node(r.Context(), id)
		}).Perm(auth.MenuCodeNode).Doc(nodeTag, "One node with the tenants of a Private node"),

		bodyEndpoint("POST", "/api/v2/admin/nodes", func(r *http.Request, in cluster.NodeInput) (cluster.NodeView, error) {
			return s.cluster.CreateNode(r.Context(), in)
		}).Perm(auth.MenuCodeNode).Code(http.StatusCreated).Doc(nodeTag, "Register a node (applied to the runner)"),

		bodyEndpoint("PUT", "/api/v2/admin/nodes/{id}", func(r *http.Request, in cluster.NodeInput) (cluster.NodeView, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return cluster.NodeView{}, err
			}
			return s.cluster.EditNode(r.Context(), id, in)
		}).Perm(auth.MenuCodeNode).Doc(nodeTag, "Edit a node (applied to the runner)"),

		endpoint("DELETE", "/api/v2/admin/nodes/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.cluster.DeleteNode(r.Context(), id)
		}).Perm(auth.MenuCodeNode).Doc(nodeTag, "Delete a node (409 while jobs run on it)"),

		endpoint("POST", "/api/v2/admin/nodes/sync-cluster-from-db", func(r *http.Request) ([]cluster.NodeView, error) {
			if err := s.cluster.Sync(r.Context()); err != nil {
				return nil, runnerUnavailable(err)
			}
			return s.cluster.Nodes(r.Context())
		}).Perm(auth.MenuCodeNode).Doc(nodeTag, "Apply every node setting and tenant quota to the runner again"),
	}
}

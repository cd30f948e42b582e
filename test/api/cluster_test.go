package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Node access levels.
const (
	accessDisabled = 0
	accessPrivate  = 1
	accessPublic   = 2
)

type nodeIn struct {
	Name               string  `json:"name"`
	Memo               string  `json:"memo,omitempty"`
	Partition          string  `json:"partition,omitempty"`
	AccessLevel        *int    `json:"accessLevel,omitempty"`
	AssignedTenantIDs  []int64 `json:"assignedTenantIds,omitempty"`
	TensorBoardEnabled bool    `json:"tensorBoardEnabled"`
	NotebookEnabled    bool    `json:"notebookEnabled"`
}

func makeNode(name string, access int) nodeIn { return nodeIn{Name: name, AccessLevel: &access} }

func (in nodeIn) partition(p string) nodeIn   { in.Partition = p; return in }
func (in nodeIn) tenants(ids ...int64) nodeIn { in.AssignedTenantIDs = ids; return in }
func (in nodeIn) access(level *int) nodeIn    { in.AccessLevel = level; return in }

type nodeView struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	Partition          string `json:"partition"`
	AccessLevel        int    `json:"accessLevel"`
	AccessLevelStr     string `json:"accessLevelStr"`
	NotebookEnabled    bool   `json:"notebookEnabled"`
	TensorBoardEnabled bool   `json:"tensorBoardEnabled"`
	CreatedBy          string `json:"createdBy"`
	AssignedTenants    []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"assignedTenants"`
}

type quotaIn struct {
	TenantID int64 `json:"tenantId"`
	CPU      int   `json:"cpu"`
	Memory   int   `json:"memory"`
	GPU      int   `json:"gpu"`
}

type quotaView struct {
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	CPU        int    `json:"cpu"`
	Memory     int    `json:"memory"`
	GPU        int    `json:"gpu"`
}

type containerView struct {
	Name       string  `json:"name"`
	TenantID   int64   `json:"tenantId"`
	TenantName string  `json:"tenantName"`
	NodeName   string  `json:"nodeName"`
	CPU        float64 `json:"cpu"`
	Status     string  `json:"status"`
	StatusType string  `json:"statusType"`
}

type nodeResource struct {
	Name        string          `json:"name"`
	AssignedCPU float64         `json:"assignedCpu"`
	Containers  []containerView `json:"containerResourceList"`
}

type historyMetadata struct {
	Count     int64   `json:"count"`
	StartDate *string `json:"startDate"`
}

// localNode is the node the local runner reports and the first start registered.
func (e *env) localNode(t *testing.T, admin *client) nodeView {
	t.Helper()
	host, _ := os.Hostname()
	var ns []nodeView
	admin.Do(t, "GET", "/api/v2/admin/nodes", nil).want(t, http.StatusOK).decode(t, &ns)
	if len(ns) != 1 || ns[0].Name != host {
		t.Fatalf("nodes after the first start = %+v, want the local runner's %q", ns, host)
	}
	return ns[0]
}

// runnerPartition is the partition the local runner reports for its node.
func (e *env) runnerPartition(t *testing.T) string {
	t.Helper()
	ns, err := e.app.Runner.Nodes(context.Background())
	if err != nil || len(ns) != 1 {
		t.Fatalf("runner nodes = %+v, %v", ns, err)
	}
	return ns[0].Partition
}

// partitionRun is a run body with a partition.
type partitionRun struct {
	runIn
	Partition string `json:"partition,omitempty"`
}

// TestNodeAdmin: the first start registers the runner's node as Public;
// nodes are created, edited and deleted with their tenants; bad input is
// refused with the error body; changes reach the runner.
func TestNodeAdmin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		local := e.localNode(t, admin)
		if local.AccessLevelStr != "Public" || !local.NotebookEnabled || !local.TensorBoardEnabled {
			t.Errorf("seeded node %+v, want Public with notebooks and TensorBoard", local)
		}
		var levels []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		}
		admin.Do(t, "GET", "/api/v2/admin/node-access-levels", nil).want(t, http.StatusOK).decode(t, &levels)
		if len(levels) != 3 || levels[1].Name != "Private" {
			t.Errorf("access levels = %+v", levels)
		}

		var created nodeView
		admin.Do(t, "POST", "/api/v2/admin/nodes", makeNode("gpu-1.example.com", accessPrivate).partition("a100").
			tenants(sandboxID, sandboxID)).want(t, http.StatusCreated).decode(t, &created)
		var details nodeView
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/nodes/%d", created.ID), nil).want(t, http.StatusOK).decode(t, &details)
		if details.Partition != "a100" || details.AccessLevelStr != "Private" || len(details.AssignedTenants) != 1 ||
			details.AssignedTenants[0].Name != "sandbox" || details.CreatedBy != adminName {
			t.Errorf("created node = %+v, want Private in a100 for sandbox", details)
		}
		admin.Do(t, "POST", "/api/v2/admin/nodes", makeNode("gpu-1.example.com", accessPublic)).wantProblem(t, http.StatusConflict)

		cases := map[string]struct {
			in     nodeIn
			status int
			says   string
		}{
			"an upper-case name":        {makeNode("GPU-2", accessPublic), 400, "name"},
			"an underscore in the name": {makeNode("gpu_2", accessPublic), 400, "name"},
			"no name":                   {makeNode("", accessPublic), 400, "name is required"},
			"a name too long":           {makeNode(strings.Repeat("a", 254), accessPublic), 400, "253"},
			"a partition with a slash":  {makeNode("gpu-2", accessPublic).partition("a/b"), 400, "partition"},
			"a partition too long":      {makeNode("gpu-2", accessPublic).partition(strings.Repeat("p", 64)), 400, "partition"},
			"no access level":           {makeNode("gpu-2", accessPublic).access(nil), 400, "accessLevel"},
			"an unknown access level":   {makeNode("gpu-2", 3), 400, "accessLevel 3"},
			"an unknown tenant":         {makeNode("gpu-2", accessPrivate).tenants(999), 404, "tenant 999"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				p := admin.Do(t, "POST", "/api/v2/admin/nodes", tc.in).wantProblem(t, tc.status)
				if !strings.Contains(p.Title, tc.says) {
					t.Errorf("title %q does not say %q", p.Title, tc.says)
				}
			})
		}

		// The local node's partition reaches the runner, and back.
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/nodes/%d", local.ID), makeNode(local.Name, accessPublic).partition("cpu")).
			want(t, http.StatusOK)
		if got := e.runnerPartition(t); got != "cpu" {
			t.Errorf("runner partition after the edit = %q, want cpu", got)
		}
		var partitions []string
		admin.Do(t, "GET", "/api/v2/admin/partitions", nil).want(t, http.StatusOK).decode(t, &partitions)
		if !slices.Equal(partitions, []string{"a100", "cpu"}) {
			t.Errorf("admin partitions = %v, want [a100 cpu]", partitions)
		}
		admin.Do(t, "GET", "/api/v2/tenant/partitions", nil).want(t, http.StatusOK).decode(t, &partitions)
		if !slices.Equal(partitions, []string{"a100", "cpu"}) {
			t.Errorf("sandbox partitions = %v, want [a100 cpu]", partitions)
		}
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/nodes/%d", created.ID), makeNode("gpu-1.example.com", accessDisabled)).
			want(t, http.StatusOK)
		admin.Do(t, "GET", "/api/v2/tenant/partitions", nil).want(t, http.StatusOK).decode(t, &partitions)
		if !slices.Equal(partitions, []string{"cpu"}) {
			t.Errorf("sandbox partitions with gpu-1 disabled = %v, want [cpu]", partitions)
		}

		// Deleting every node does not bring the seeded one back on a restart.
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/nodes/%d", created.ID), nil).want(t, http.StatusNoContent)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/nodes/%d", local.ID), nil).want(t, http.StatusNoContent)
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/nodes/%d", local.ID), nil).wantProblem(t, http.StatusNotFound)
		if got := e.runnerPartition(t); got != "" {
			t.Errorf("runner partition after the delete = %q, want none", got)
		}
		if err := e.app.Cluster.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		var ns []nodeView
		admin.Do(t, "GET", "/api/v2/admin/nodes", nil).want(t, http.StatusOK).decode(t, &ns)
		if len(ns) != 0 {
			t.Errorf("nodes after deleting all and seeding again = %+v, want none", ns)
		}

		// Only the Node menu opens the node screens.
		e.createUser(t, admin, makeUser("rita").defaultIn(sandboxID, roleResearchers))
		r := e.login(t, "rita", passwordOf("rita")).Do(t, "GET", "/api/v2/admin/nodes", nil)
		r.wantProblem(t, http.StatusForbidden)
		if got := r.Header.Get("X-Permit-MenuCode"); got != "Node" {
			t.Errorf("X-Permit-MenuCode = %q, want Node", got)
		}
	})
}

// TestQuota: quotas round trip, are validated, and bound the tenant's jobs.
func TestQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"run.sh": "echo hi"})
		admin := e.admin
		var qs []quotaView
		admin.Do(t, "GET", "/api/v2/admin/quotas", nil).want(t, http.StatusOK).decode(t, &qs)
		if len(qs) != 1 || qs[0] != (quotaView{TenantID: sandboxID, TenantName: "sandbox"}) {
			t.Fatalf("quotas = %+v, want sandbox unlimited", qs)
		}
		admin.Do(t, "POST", "/api/v2/admin/quotas", []quotaIn{{TenantID: sandboxID, CPU: 2, Memory: 4}}).
			want(t, http.StatusOK).decode(t, &qs)
		var mine quotaView
		admin.Do(t, "GET", "/api/v2/tenant/quota", nil).want(t, http.StatusOK).decode(t, &mine)
		if want := (quotaView{TenantID: sandboxID, TenantName: "sandbox", CPU: 2, Memory: 4}); mine != want || qs[0] != want {
			t.Errorf("quota = %+v (list %+v), want %+v", mine, qs, want)
		}
		for name, tc := range map[string]struct {
			in     []quotaIn
			status int
			says   string
		}{
			"more CPU than the screen allows": {[]quotaIn{{TenantID: sandboxID, CPU: 251}}, 400, "cpu quota 251"},
			"negative memory":                 {[]quotaIn{{TenantID: sandboxID, Memory: -1}}, 400, "memory quota -1"},
			"17 GPUs":                         {[]quotaIn{{TenantID: sandboxID, GPU: 17}}, 400, "gpu quota 17"},
			"an unknown tenant":               {[]quotaIn{{TenantID: 999, CPU: 1}}, 404, "tenant 999"},
			"a tenant twice":                  {[]quotaIn{{TenantID: sandboxID}, {TenantID: sandboxID}}, 400, "twice"},
		} {
			t.Run(name, func(t *testing.T) {
				p := admin.Do(t, "POST", "/api/v2/admin/quotas", tc.in).wantProblem(t, tc.status)
				if !strings.Contains(p.Title, tc.says) {
					t.Errorf("title %q does not say %q", p.Title, tc.says)
				}
			})
		}

		over := makeRun("big", e.dataset, "bash run.sh")
		over.CPU = 3
		p := admin.Do(t, "POST", "/api/v2/training/run", over).wantProblem(t, http.StatusBadRequest)
		if !strings.Contains(p.Title, "quota") {
			t.Errorf("a run over the quota: %+v, want the quota named", p)
		}
		admin.Do(t, "POST", "/api/v2/admin/quotas", []quotaIn{{TenantID: sandboxID}}).want(t, http.StatusOK)
		var j jobOut
		admin.Do(t, "POST", "/api/v2/training/run", over).want(t, http.StatusCreated).decode(t, &j)
		admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", j.ID), "Completed")
	})
}

// TestNodeAccessInPlacement: a job runs only on nodes its tenant may use,
// and in its partition.
func TestNodeAccessInPlacement(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"run.sh": "echo hi"})
		admin := e.admin
		local := e.localNode(t, admin)
		edit := func(in nodeIn) {
			t.Helper()
			admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/nodes/%d", local.ID), in).want(t, http.StatusOK)
		}
		run := func(partition string) *resp {
			return admin.Do(t, "POST", "/api/v2/training/run", partitionRun{makeRun("r", e.dataset, "bash run.sh"), partition})
		}
		runs := func(partition string) {
			t.Helper()
			var j jobOut
			run(partition).want(t, http.StatusCreated).decode(t, &j)
			admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", j.ID), "Completed")
		}

		edit(makeNode(local.Name, accessPublic).partition("cpu"))
		p := run("a100").wantProblem(t, http.StatusBadRequest)
		if !strings.Contains(p.Title, `partition "a100" has no node usable by tenant sandbox`) {
			t.Errorf("a run in an empty partition: %q", p.Title)
		}
		runs("cpu")

		edit(makeNode(local.Name, accessPrivate))
		p = run("").wantProblem(t, http.StatusBadRequest)
		if !strings.Contains(p.Title, "no node is enabled for tenant sandbox") {
			t.Errorf("a run with only a Private node of others: %q", p.Title)
		}
		edit(makeNode(local.Name, accessPrivate).tenants(sandboxID))
		runs("")

		edit(makeNode(local.Name, accessDisabled))
		run("").wantProblem(t, http.StatusBadRequest)
	})
}

// TestResourceViews: a running job shows in every resource view, blocks
// deleting its node, is sampled, and is stopped from the resource screen;
// each job's end is one row of the job history CSV.
func TestResourceViews(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"run.sh": "echo hi"})
		admin := e.admin
		local := e.localNode(t, admin)

		var done jobOut
		admin.Do(t, "POST", "/api/v2/training/run", makeRun("quick", e.dataset, "bash run.sh")).
			want(t, http.StatusCreated).decode(t, &done)
		admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", done.ID), "Completed")

		var long jobOut
		admin.Do(t, "POST", "/api/v2/training/run", makeRun("long", e.dataset, "sleep 600")).
			want(t, http.StatusCreated).decode(t, &long)
		name := fmt.Sprintf("training-%d", long.ID)
		// The job's status reads Running from its submission (KQI-Running); the
		// runner reports it running a moment later.
		var cs []containerView
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); sleep50() {
			admin.Do(t, "GET", "/api/v2/admin/resource/containers", nil).want(t, http.StatusOK).decode(t, &cs)
			if len(cs) == 1 && cs[0].Status == "Running" {
				break
			}
		}
		if len(cs) != 1 || cs[0].Name != name || cs[0].TenantName != "sandbox" || cs[0].NodeName != local.Name ||
			cs[0].Status != "Running" || cs[0].StatusType != "Running" {
			t.Errorf("containers = %+v, want %s running on %s", cs, name, local.Name)
		}
		admin.Do(t, "GET", "/api/v2/tenant/resource/containers", nil).want(t, http.StatusOK).decode(t, &cs)
		if len(cs) != 1 || cs[0].Name != name {
			t.Errorf("tenant containers = %+v, want %s", cs, name)
		}
		for _, path := range []string{"/api/v2/admin/resource/nodes", "/api/v2/tenant/resource/nodes", "/api/v2/tenant/nodes"} {
			var ns []nodeResource
			admin.Do(t, "GET", path, nil).want(t, http.StatusOK).decode(t, &ns)
			if len(ns) != 1 || ns[0].Name != local.Name || ns[0].AssignedCPU != 1 {
				t.Errorf("%s = %+v, want %s with 1 CPU assigned", path, ns, local.Name)
			}
			if path != "/api/v2/tenant/nodes" && (len(ns) != 1 || len(ns[0].Containers) != 1 || ns[0].Containers[0].Name != name) {
				t.Errorf("%s = %+v, want %s listed", path, ns, name)
			}
		}
		var ts []struct {
			Name        string          `json:"name"`
			AssignedCPU float64         `json:"assignedCpu"`
			Containers  []containerView `json:"containerResourceList"`
		}
		admin.Do(t, "GET", "/api/v2/admin/resource/tenants", nil).want(t, http.StatusOK).decode(t, &ts)
		if len(ts) != 1 || ts[0].AssignedCPU != 1 || len(ts[0].Containers) != 1 {
			t.Errorf("tenants = %+v, want sandbox with the job", ts)
		}
		admin.Do(t, "GET", "/api/v2/admin/resource/containers/1/"+name, nil).want(t, http.StatusOK)
		admin.Do(t, "GET", "/api/v2/admin/resource/containers/1/"+name+"/events", nil).want(t, http.StatusOK)
		admin.Do(t, "GET", "/api/v2/admin/resource/containers/1/"+name+"/log", nil).want(t, http.StatusOK)
		admin.Do(t, "GET", "/api/v2/tenant/resource/containers/"+name+"/log", nil).want(t, http.StatusOK)
		admin.Do(t, "GET", "/api/v2/admin/resource/containers/2/"+name, nil).wantProblem(t, http.StatusNotFound)
		admin.Do(t, "GET", "/api/v2/tenant/resource/containers/training-999", nil).wantProblem(t, http.StatusNotFound)

		p := admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/nodes/%d", local.ID), nil).wantProblem(t, http.StatusConflict)
		if !strings.Contains(p.Detail, name) {
			t.Errorf("409 detail %q does not name %s", p.Detail, name)
		}

		// A sample holds the running job.
		if err := e.app.Cluster.SampleNow(context.Background()); err != nil {
			t.Fatal(err)
		}
		var meta historyMetadata
		admin.Do(t, "GET", "/api/v2/admin/resource/histories/containers/metadata", nil).want(t, http.StatusOK).decode(t, &meta)
		if meta.Count != 1 || meta.StartDate == nil {
			t.Errorf("container history metadata = %+v, want one row", meta)
		}
		rows := e.csv(t, admin, "/api/v2/admin/resource/histories/containers/data?withHeader=true")
		if len(rows) != 2 || rows[0][0] != "SampledAt" || rows[1][1] != local.Name || rows[1][7] != name {
			t.Errorf("container history = %q, want a header and %s on %s", rows, name, local.Name)
		}

		// Stopping it from the tenant's resource screen ends the job as Killed.
		admin.Do(t, "DELETE", "/api/v2/tenant/resource/containers/"+name, nil).want(t, http.StatusNoContent)
		admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", long.ID), "Killed")

		// The end of the first job is recorded by the watch loop just after its status.
		jobRows := func() int64 {
			var m historyMetadata
			admin.Do(t, "GET", "/api/v2/admin/resource/histories/jobs/metadata", nil).want(t, http.StatusOK).decode(t, &m)
			return m.Count
		}
		for deadline := time.Now().Add(30 * time.Second); jobRows() < 2 && time.Now().Before(deadline); {
			sleep50()
		}
		rows = e.csv(t, admin, "/api/v2/admin/resource/histories/jobs/data?withHeader=true")
		if len(rows) != 3 || rows[0][6] != "ContainerName" {
			t.Fatalf("job history = %q, want a header and two jobs", rows)
		}
		got := map[string]string{}
		for _, r := range rows[1:] {
			got[r[6]] = r[0] + " " + r[15]
			if r[5] != "sandbox" || r[1] == "0" {
				t.Errorf("history row %q: want tenant sandbox and the node's CPUs", r)
			}
		}
		want := map[string]string{fmt.Sprintf("training-%d", done.ID): local.Name + " KQI-Completed", name: local.Name + " KQI-Killed"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("job history = %v, want %v", got, want)
		}
		// The test's clock starts on 2026-01-15; nothing ended before.
		if rows := e.csv(t, admin, "/api/v2/admin/resource/histories/jobs/data?endDate=2026-01-14"); len(rows) != 0 {
			t.Errorf("job history up to the day before = %q, want none", rows)
		}
		admin.Do(t, "GET", "/api/v2/admin/resource/histories/jobs/data?startDate=someday", nil).wantProblem(t, http.StatusBadRequest)

		var deleted struct {
			Deleted int64 `json:"deleted"`
		}
		admin.Do(t, "PATCH", "/api/v2/admin/resource/histories/jobs", map[string]string{"endDate": "2026-01-14"}).
			want(t, http.StatusOK).decode(t, &deleted)
		if deleted.Deleted != 0 {
			t.Errorf("deleted up to the day before = %d, want 0", deleted.Deleted)
		}
		admin.Do(t, "PATCH", "/api/v2/admin/resource/histories/jobs", map[string]string{"endDate": "9999-12-31"}).
			want(t, http.StatusOK).decode(t, &deleted)
		admin.Do(t, "GET", "/api/v2/admin/resource/histories/jobs/metadata", nil).want(t, http.StatusOK).decode(t, &meta)
		if deleted.Deleted != 2 || meta.Count != 0 {
			t.Errorf("deleted %d, %d left; want 2 and none", deleted.Deleted, meta.Count)
		}
		admin.Do(t, "PATCH", "/api/v2/admin/resource/histories/containers", map[string]string{}).wantProblem(t, http.StatusBadRequest)
		admin.Do(t, "PATCH", "/api/v2/admin/resource/histories/containers", map[string]string{"endDate": "9999-12-31"}).
			want(t, http.StatusOK).decode(t, &deleted)
		if deleted.Deleted != 1 {
			t.Errorf("samples deleted = %d, want 1", deleted.Deleted)
		}
	})
}

// csv downloads and parses a CSV.
func (e *env) csv(t *testing.T, c *client, path string) [][]string {
	t.Helper()
	r := c.Do(t, "GET", path, nil).want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("%s: Content-Type %q, want text/csv", path, ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: not CSV: %v\n%s", path, err, r.Body)
	}
	return rows
}

package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/registry/registrytest"
)

type registryIn struct {
	Name        string `json:"name"`
	Host        string `json:"host"`
	PortNo      int    `json:"portNo"`
	ServiceType int    `json:"serviceType"`
	ProjectName string `json:"projectName,omitempty"`
	APIURL      string `json:"apiUrl"`
	RegistryURL string `json:"registryUrl"`
}

type registryView struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	RegistryPath  string `json:"registryPath"`
	ServiceType   int    `json:"serviceType"`
	Host          string `json:"host"`
	PortNo        int    `json:"portNo"`
	RegistryURL   string `json:"registryUrl"`
	IsNotEditable bool   `json:"isNotEditable"`
}

// makeRegistry is a private registry at url (host and port from it).
func makeRegistry(name, url string) registryIn {
	host, port := "registry.example.com", 443
	if rest, ok := strings.CutPrefix(url, "http://"); ok {
		h, p, _ := strings.Cut(rest, ":")
		host = h
		fmt.Sscan(p, &port)
	}
	return registryIn{Name: name, Host: host, PortNo: port, ServiceType: 3, APIURL: url, RegistryURL: url}
}

// TestRegistries: administrators register registries under the original's
// rules; the built-in ones stay, and registries in use cannot go.
func TestRegistries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		var list []registryView
		admin.Do(t, "GET", "/api/v2/admin/registry/endpoints", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list) != 2 || list[0].Name != "official-docker-hub" || list[1].RegistryPath != "nvcr.io:443" {
			t.Fatalf("registries = %+v, want the two seeds", list)
		}
		var types []map[string]any
		admin.Do(t, "GET", "/api/v2/admin/registry/types", nil).want(t, http.StatusOK).decode(t, &types)
		if len(types) != 4 {
			t.Errorf("types = %v", types)
		}
		var reg registryView
		admin.Do(t, "POST", "/api/v2/admin/registry/endpoints", makeRegistry("team-reg", "https://registry.example.com")).
			want(t, http.StatusCreated).decode(t, &reg)
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/registry/endpoints/%d", reg.ID), nil).want(t, http.StatusOK).decode(t, &reg)
		if reg.Host != "registry.example.com" || reg.PortNo != 443 || reg.IsNotEditable || reg.RegistryPath != "registry.example.com:443" {
			t.Errorf("registry = %+v", reg)
		}
		bad := func(mod func(in *registryIn)) registryIn {
			in := makeRegistry("x", "https://r.example.com")
			mod(&in)
			return in
		}
		for name, tc := range map[string]struct {
			method, path string
			body         any
			status       int
		}{
			"upper-case name": {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.Name = "Team" }), 400},
			"no host":         {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.Host = "" }), 400},
			"no port":         {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.PortNo = 0 }), 400},
			"no registry URL": {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.RegistryURL = "" }), 400},
			"unknown type":    {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.ServiceType = 9 }), 400},
			"duplicate name":  {"POST", "/api/v2/admin/registry/endpoints", bad(func(in *registryIn) { in.Name = "team-reg" }), 409},
			"edit a seed":     {"PUT", "/api/v2/admin/registry/endpoints/1", bad(func(*registryIn) {}), 400},
			"delete a seed":   {"DELETE", "/api/v2/admin/registry/endpoints/2", nil, 409},
			"unknown id":      {"GET", "/api/v2/admin/registry/endpoints/99", nil, 404},
			"delete unknown":  {"DELETE", "/api/v2/admin/registry/endpoints/99", nil, 404},
		} {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, tc.method, tc.path, tc.body).wantProblem(t, tc.status)
			})
		}

		team := e.createTenant(t, admin, makeTenant("team-r").registries(1, reg.ID))
		p := admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/registry/endpoints/%d", reg.ID), nil).wantProblem(t, http.StatusConflict)
		if !strings.Contains(p.Title, "team-r") {
			t.Errorf("delete while used: %q", p.Title)
		}
		e.createUser(t, admin, makeUser("rita").defaultIn(team.ID, roleManagers))
		var mine []registryView
		e.login(t, "rita", passwordOf("rita")).Do(t, "GET", "/api/v2/tenant/registry/endpoints", nil).want(t, http.StatusOK).decode(t, &mine)
		if len(mine) != 3 || mine[2].ID != reg.ID {
			t.Errorf("selectable registries = %+v, want all three", mine)
		}
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/tenants/%d", team.ID), makeTenant("team-r")).want(t, http.StatusOK)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/registry/endpoints/%d", reg.ID), nil).want(t, http.StatusNoContent)
	})
}

// TestRegistryImages: a researcher lists the images and tags of a real
// registry with their own credentials.
func TestRegistryImages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		live := registrytest.Serve(t, "carol", "carol-pw")
		live.Push(t, "team/app:v1", "team/app:v2", "base:latest", "a/b/c:1.0")
		admin := e.admin(t)
		var reg, down registryView
		admin.Do(t, "POST", "/api/v2/admin/registry/endpoints", makeRegistry("live", live.URL)).want(t, http.StatusCreated).decode(t, &reg)
		admin.Do(t, "POST", "/api/v2/admin/registry/endpoints", makeRegistry("down", closedPortURL(t))).want(t, http.StatusCreated).decode(t, &down)
		team := e.createTenant(t, admin, makeTenant("team-i").registries(1, reg.ID, down.ID))
		e.createUser(t, admin, makeUser("carol").defaultIn(team.ID, roleResearchers))
		e.createUser(t, admin, makeUser("dave").defaultIn(team.ID, roleUsers))
		carol := e.login(t, "carol", passwordOf("carol"))
		images := fmt.Sprintf("/api/v2/registries/%d/images", reg.ID)

		carol.Do(t, "GET", images, nil).wantProblem(t, http.StatusBadRequest) // no credentials yet
		carol.Do(t, "PUT", "/api/v2/account/registries", map[string]any{"id": reg.ID, "userName": "carol", "password": "wrong"}).want(t, http.StatusOK)
		p := carol.Do(t, "GET", images, nil).wantProblem(t, http.StatusBadRequest)
		if !strings.Contains(p.Title, "refused your credentials") {
			t.Errorf("wrong password: %q", p.Title)
		}
		carol.Do(t, "PUT", "/api/v2/account/registries", map[string]any{"id": reg.ID, "userName": "carol", "password": "carol-pw"}).want(t, http.StatusOK)

		var names []string
		carol.Do(t, "GET", images, nil).want(t, http.StatusOK).decode(t, &names)
		if diff := cmp.Diff([]string{"a/b/c", "base", "team/app"}, names); diff != "" {
			t.Errorf("images (-want +got):\n%s", diff)
		}
		var tags []string
		carol.Do(t, "GET", images+"/base/tags", nil).want(t, http.StatusOK).decode(t, &tags)
		if diff := cmp.Diff([]string{"latest"}, tags); diff != "" {
			t.Errorf("tags of base (-want +got):\n%s", diff)
		}
		// Names with '/' go through the catch-all route.
		carol.outsideDocument().Do(t, "GET", images+"/team/app/tags", nil).want(t, http.StatusOK).decode(t, &tags)
		if diff := cmp.Diff([]string{"v1", "v2"}, tags); diff != "" {
			t.Errorf("tags of team/app (-want +got):\n%s", diff)
		}
		carol.outsideDocument().Do(t, "GET", images+"/a/b/c/tags", nil).want(t, http.StatusOK).decode(t, &tags)
		if diff := cmp.Diff([]string{"1.0"}, tags); diff != "" {
			t.Errorf("tags of a/b/c (-want +got):\n%s", diff)
		}

		for name, tc := range map[string]struct {
			path   string
			status int
		}{
			"unknown registry":        {"/api/v2/registries/99/images", 404},
			"registry of no tenant's": {"/api/v2/registries/2/images", 404},
			"bad registry id":         {"/api/v2/registries/x/images", 400},
			"unknown image":           {images + "/nothing/tags", 404},
			"malformed image":         {images + "/Bad%20Name/tags", 400},
			"not a tags path":         {images + "/team/app/manifests", 404},
			"unreachable registry":    {fmt.Sprintf("/api/v2/registries/%d/images", down.ID), 502},
		} {
			t.Run(name, func(t *testing.T) {
				carol.outsideDocument().Do(t, "GET", tc.path, nil).wantProblem(t, tc.status)
			})
		}
		e.login(t, "dave", passwordOf("dave")).Do(t, "GET", images, nil).wantProblem(t, http.StatusForbidden)
	})
}

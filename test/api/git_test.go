package api_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo/gitrepotest"
)

type gitIn struct {
	Name          string `json:"name"`
	ServiceType   int    `json:"serviceType"`
	APIURL        string `json:"apiUrl,omitempty"`
	RepositoryURL string `json:"repositoryUrl"`
}

type gitView struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	ServiceType     int    `json:"serviceType"`
	ServiceTypeName string `json:"serviceTypeName"`
	RepositoryURL   string `json:"repositoryUrl"`
	APIURL          string `json:"apiUrl"`
	IsNotEditable   bool   `json:"isNotEditable"`
}

type branchOut struct {
	BranchName string `json:"branchName"`
	CommitID   string `json:"commitId"`
}

type commitOut struct {
	CommitID      string `json:"commitId"`
	CommitterName string `json:"committerName"`
	Comment       string `json:"comment"`
	Display       string `json:"display"`
}

type repoOut struct {
	Owner    string `json:"owner"`
	Name     string `json:"name"`
	FullName string `json:"fullName"`
}

// gitServer is a directory of repositories: team/project (master and
// dev), solo (no owner) and group/sub/deep (a GitLab-style subgroup).
type gitServer struct {
	root              string
	master, dev, deep string // head commits
	first             string // master's first commit
}

func makeGitServer(t *testing.T) gitServer {
	t.Helper()
	root := t.TempDir()
	r := gitrepotest.MakeRepo(t, root, "team/project")
	s := gitServer{root: root}
	s.first = r.Commit("train.py", "print(1)", "first")
	s.master = r.Commit("train.py", "print(2)", "second")
	r.Branch("dev")
	s.dev = r.Commit("train.py", "print(3)", "on dev")
	gitrepotest.MakeRepo(t, root, "solo").Commit("a", "a", "solo")
	s.deep = gitrepotest.MakeRepo(t, root, "group/sub/deep").Commit("a", "a", "deep")
	return s
}

func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestGitEndpoints: administrators register git servers; the built-in
// ones stay as they are and endpoints in use cannot go.
func TestGitEndpoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		var types []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		}
		admin.Do(t, "GET", "/api/v2/admin/git/types", nil).want(t, http.StatusOK).decode(t, &types)
		if len(types) != 5 || types[4].ID != 5 || types[4].Name != "Git" {
			t.Errorf("types = %+v, want five ending with 5 Git", types)
		}
		var list []gitView
		admin.Do(t, "GET", "/api/v2/admin/git/endpoints", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list) != 2 || list[0].Name != "GitHub" || list[1].ServiceTypeName != "GitLabCom" {
			t.Fatalf("endpoints = %+v, want the two seeds", list)
		}
		var seed gitView
		admin.Do(t, "GET", "/api/v2/admin/git/endpoints/1", nil).want(t, http.StatusOK).decode(t, &seed)
		if !seed.IsNotEditable || seed.APIURL != "https://api.github.com" {
			t.Errorf("seed = %+v", seed)
		}

		var local gitView
		admin.Do(t, "POST", "/api/v2/admin/git/endpoints", gitIn{Name: "lab", ServiceType: 5, RepositoryURL: "file:///srv/git"}).
			want(t, http.StatusCreated).decode(t, &local)
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/git/endpoints/%d", local.ID),
			gitIn{Name: "lab2", ServiceType: 5, RepositoryURL: "https://git.example.com"}).want(t, http.StatusOK).decode(t, &local)
		if local.Name != "lab2" || local.APIURL != "https://git.example.com" {
			t.Errorf("edited = %+v", local)
		}

		for name, tc := range map[string]struct {
			method, path string
			body         any
			status       int
		}{
			"no name":           {"POST", "/api/v2/admin/git/endpoints", gitIn{ServiceType: 5, RepositoryURL: "https://g.example.com"}, 400},
			"no repository URL": {"POST", "/api/v2/admin/git/endpoints", gitIn{Name: "x", ServiceType: 5}, 400},
			"unknown type":      {"POST", "/api/v2/admin/git/endpoints", gitIn{Name: "x", ServiceType: 0, RepositoryURL: "https://g.example.com", APIURL: "https://g.example.com"}, 400},
			"GitHub w/o apiUrl": {"POST", "/api/v2/admin/git/endpoints", gitIn{Name: "x", ServiceType: 1, RepositoryURL: "https://g.example.com"}, 400},
			"ssh URL":           {"POST", "/api/v2/admin/git/endpoints", gitIn{Name: "x", ServiceType: 5, RepositoryURL: "ssh://git@g.example.com"}, 400},
			"edit a seed":       {"PUT", "/api/v2/admin/git/endpoints/1", gitIn{Name: "x", ServiceType: 1, RepositoryURL: "https://g.example.com", APIURL: "https://g.example.com"}, 400},
			"delete a seed":     {"DELETE", "/api/v2/admin/git/endpoints/2", nil, 409},
			"unknown id":        {"GET", "/api/v2/admin/git/endpoints/99", nil, 404},
			"edit unknown":      {"PUT", "/api/v2/admin/git/endpoints/99", gitIn{Name: "x", ServiceType: 5, RepositoryURL: "https://g.example.com"}, 404},
			"delete unknown":    {"DELETE", "/api/v2/admin/git/endpoints/99", nil, 404},
			"bad id":            {"GET", "/api/v2/admin/git/endpoints/x", nil, 400},
		} {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, tc.method, tc.path, tc.body).wantProblem(t, tc.status)
			})
		}

		team := e.createTenant(t, admin, makeTenant("team-g").gits(1, local.ID))
		p := admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/git/endpoints/%d", local.ID), nil).wantProblem(t, http.StatusConflict)
		if !strings.Contains(p.Title, "team-g") {
			t.Errorf("delete while used: %q, want it to name the tenant", p.Title)
		}
		e.createUser(t, admin, makeUser("gina").defaultIn(team.ID, roleManagers))
		var mine []gitView
		e.login(t, "gina", passwordOf("gina")).Do(t, "GET", "/api/v2/tenant/git/endpoints", nil).want(t, http.StatusOK).decode(t, &mine)
		if len(mine) != 3 || mine[2].ID != local.ID {
			t.Errorf("selectable endpoints = %+v, want all three", mine)
		}
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/tenants/%d", team.ID), makeTenant("team-g").gits(1)).want(t, http.StatusOK)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/git/endpoints/%d", local.ID), nil).want(t, http.StatusNoContent)
	})
}

// TestGitBrowsing: a researcher browses repositories of a plain git server
// (a directory and git's own smart HTTP server) with their token.
func TestGitBrowsing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		srv := makeGitServer(t)
		admin := e.admin(t)
		var dir, web, down gitView
		admin.Do(t, "POST", "/api/v2/admin/git/endpoints", gitIn{Name: "dir", ServiceType: 5, RepositoryURL: gitrepotest.FileURL(srv.root)}).
			want(t, http.StatusCreated).decode(t, &dir)
		base := gitrepotest.ServeHTTP(t, srv.root, "oauth2", "carol-token")
		admin.Do(t, "POST", "/api/v2/admin/git/endpoints", gitIn{Name: "web", ServiceType: 5, RepositoryURL: base}).
			want(t, http.StatusCreated).decode(t, &web)
		admin.Do(t, "POST", "/api/v2/admin/git/endpoints", gitIn{Name: "down", ServiceType: 5, RepositoryURL: closedPortURL(t)}).
			want(t, http.StatusCreated).decode(t, &down)
		team := e.createTenant(t, admin, makeTenant("team-b").gits(dir.ID, web.ID, down.ID))
		e.createUser(t, admin, makeUser("carol").defaultIn(team.ID, roleResearchers))
		e.createUser(t, admin, makeUser("dave").defaultIn(team.ID, roleUsers))
		carol := e.login(t, "carol", passwordOf("carol"))
		g := func(id int64, rest string) string { return fmt.Sprintf("/api/v2/git/%d/repos%s", id, rest) }

		var repos []repoOut
		carol.Do(t, "GET", g(dir.ID, ""), nil).want(t, http.StatusOK).decode(t, &repos)
		wantRepos := []repoOut{{"group/sub", "deep", "group/sub/deep"}, {"", "solo", "solo"}, {"team", "project", "team/project"}}
		if diff := cmp.Diff(wantRepos, repos); diff != "" {
			t.Errorf("repositories (-want +got):\n%s", diff)
		}
		var branches []branchOut
		carol.Do(t, "GET", g(dir.ID, "/team/project/branches"), nil).want(t, http.StatusOK).decode(t, &branches)
		if diff := cmp.Diff([]branchOut{{"dev", srv.dev}, {"master", srv.master}}, branches); diff != "" {
			t.Errorf("branches (-want +got):\n%s", diff)
		}
		var commits []commitOut
		carol.Do(t, "GET", g(dir.ID, "/team/project/commits?branch=dev&page=1"), nil).want(t, http.StatusOK).decode(t, &commits)
		if len(commits) != 3 || commits[0].CommitID != srv.dev || commits[2].Comment != "first" || commits[0].CommitterName != "Tester" {
			t.Errorf("commits of dev = %+v", commits)
		}
		var one commitOut
		carol.Do(t, "GET", g(dir.ID, "/team/project/commits/"+srv.first), nil).want(t, http.StatusOK).decode(t, &one)
		if one.CommitID != srv.first || !strings.HasPrefix(one.Display, srv.first[:7]+" first") {
			t.Errorf("one commit = %+v", one)
		}

		// Owners that are empty or hold '/' go through the catch-all route.
		catchAll := carol.outsideDocument()
		catchAll.Do(t, "GET", g(dir.ID, "/solo/branches"), nil).want(t, http.StatusOK).decode(t, &branches)
		if len(branches) != 1 || branches[0].BranchName != "master" {
			t.Errorf("branches of solo = %+v", branches)
		}
		catchAll.Do(t, "GET", g(dir.ID, "/group/sub/deep/commits"), nil).want(t, http.StatusOK).decode(t, &commits)
		if len(commits) != 1 || commits[0].CommitID != srv.deep {
			t.Errorf("commits of group/sub/deep = %+v", commits)
		}
		catchAll.Do(t, "GET", g(dir.ID, "/group/sub/deep/commits/"+srv.deep[:9]), nil).want(t, http.StatusOK).decode(t, &one)
		if one.CommitID != srv.deep {
			t.Errorf("commit of group/sub/deep = %+v", one)
		}
		catchAll.Do(t, "GET", g(dir.ID, "/group/sub/deep/tree"), nil).wantProblem(t, http.StatusNotFound)

		// Over smart HTTP with carol's token.
		carol.Do(t, "GET", g(web.ID, "/team/project/branches"), nil).wantProblem(t, http.StatusBadRequest) // no token yet
		carol.Do(t, "PUT", "/api/v2/account/gits", map[string]any{"id": web.ID, "token": "carol-token"}).want(t, http.StatusOK)
		carol.Do(t, "GET", g(web.ID, "/team/project/branches"), nil).want(t, http.StatusOK).decode(t, &branches)
		if len(branches) != 2 {
			t.Errorf("branches over http = %+v", branches)
		}
		carol.Do(t, "GET", g(web.ID, "/team/project/commits/"+srv.first), nil).want(t, http.StatusOK).decode(t, &one)
		if one.CommitID != srv.first {
			t.Errorf("commit over http = %+v", one)
		}
		var none []repoOut
		carol.Do(t, "GET", g(web.ID, ""), nil).want(t, http.StatusOK).decode(t, &none)
		if len(none) != 0 {
			t.Errorf("repositories of a plain http server = %+v, want none (the git protocol cannot list them)", none)
		}

		for name, tc := range map[string]struct {
			path   string
			status int
			title  string
		}{
			"unknown git":           {g(99, "/team/project/branches"), 404, "git 99 is not found"},
			"git of another tenant": {g(1, "/team/project/branches"), 404, "not available in tenant team-b"},
			"bad git id":            {"/api/v2/git/x/repos/team/project/branches", 400, "gitId"},
			"unknown repository":    {g(dir.ID, "/team/nothing/branches"), 404, "repository team/nothing is not found"},
			"unknown branch":        {g(dir.ID, "/team/project/commits?branch=feature"), 404, "branch feature is not found in team/project"},
			"unknown commit":        {g(dir.ID, "/team/project/commits/"+strings.Repeat("e", 40)), 404, "commit eeee"},
			"malformed commit":      {g(dir.ID, "/team/project/commits/zz"), 400, "not a commit id"},
			"malformed owner":       {g(dir.ID, "/te%20am/project/branches"), 400, "owner"},
			"bad page":              {g(dir.ID, "/team/project/commits?page=0"), 400, "page"},
			"unreachable server":    {g(down.ID, "/team/project/branches"), 502, "could not be reached"},
		} {
			t.Run(name, func(t *testing.T) {
				p := carol.Do(t, "GET", tc.path, nil).wantProblem(t, tc.status)
				if !strings.Contains(p.Title, tc.title) {
					t.Errorf("title %q, want it to contain %q", p.Title, tc.title)
				}
			})
		}
		e.login(t, "dave", passwordOf("dave")).Do(t, "GET", g(dir.ID, "/team/project/branches"), nil).wantProblem(t, http.StatusForbidden)
	})
}

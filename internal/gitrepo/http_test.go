package gitrepo_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo/gitrepotest"
)

// TestBrowseSmartHTTP reads a repository from git's own http-backend with
// the user's token as basic auth, and reports a wrong token and an
// unreachable server as such.
func TestBrowseSmartHTTP(t *testing.T) {
	f := newFixture(t)
	p := makeProject(t)
	base := gitrepotest.ServeHTTP(t, p.root, gitrepo.TokenUser, "s3cret")
	id := f.addGit(t, gitrepo.Input{Name: "http", ServiceType: 5, RepositoryURL: base}, "s3cret")

	bs, err := f.svc.Branches(f.ctx, id, "team", "project")
	if err != nil || len(bs) != 3 {
		t.Fatalf("branches over http = %+v, %v", bs, err)
	}
	cs, err := f.svc.Commits(f.ctx, id, "team", "project", "long", 2)
	if err != nil || len(cs) != 8 {
		t.Fatalf("page 2 of long over http = %d commits, %v; want 8", len(cs), err)
	}
	src, err := f.svc.Source(f.ctx, id, "team", "project")
	if err != nil || src.URL != base+"/team/project" || src.User != gitrepo.TokenUser || src.Token != "s3cret" {
		t.Fatalf("source = %+v, %v", src, err)
	}
	got, err := f.svc.ResolveCommit(f.ctx, src, "", p.devOnlyOldCommit)
	if err != nil || got != p.devOnlyOldCommit {
		t.Errorf("resolve a commit no branch points at over http = %s, %v", got, err)
	}

	bad := f.addGit(t, gitrepo.Input{Name: "http, wrong token", ServiceType: 5, RepositoryURL: base}, "wrong")
	_, err = f.svc.Branches(f.ctx, bad, "team", "project")
	if e := wantKind(t, err, apperr.KindInvalid); !strings.Contains(e.Detail, "token") {
		t.Errorf("wrong token: %q / %q, want a hint about the token", e.Title, e.Detail)
	}

	down := f.addGit(t, gitrepo.Input{Name: "down", ServiceType: 5, RepositoryURL: closedURL(t)}, "")
	_, err = f.svc.Branches(f.ctx, down, "team", "project")
	wantKind(t, err, apperr.KindBadGateway)
	_, err = f.svc.ResolveCommit(f.ctx, gitrepo.Source{URL: closedURL(t) + "/a/b"}, "", "")
	wantKind(t, err, apperr.KindBadGateway)
}

func TestRepositories(t *testing.T) {
	f := newFixture(t)
	p := makeProject(t)
	dir := f.addGit(t, gitrepo.Input{Name: "dir", ServiceType: 5, RepositoryURL: gitrepotest.FileURL(p.root)}, "")
	rs, err := f.svc.Repositories(f.ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []gitrepo.Repository{{"", "solo", "solo"}, {"team", "project", "team/project"}}
	if diff := cmp.Diff(want, rs); diff != "" {
		t.Errorf("repositories of a directory (-want +got):\n%s", diff)
	}

	// GitHub's REST API cannot run here; a loopback stand-in answers its
	// two pages in GitHub's shape, to the token only.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token gh-token" || r.URL.Path != "/user/repos" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		type owner struct {
			Login string `json:"login"`
		}
		type repo struct {
			Name     string `json:"name"`
			FullName string `json:"full_name"`
			Owner    owner  `json:"owner"`
		}
		var page []repo
		if r.URL.Query().Get("page") == "1" {
			for range 100 {
				page = append(page, repo{"r", "o/r", owner{"o"}})
			}
		} else {
			page = []repo{{"a", "o/a", owner{"o"}}}
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	t.Cleanup(api.Close)
	gh := f.addGit(t, gitrepo.Input{Name: "gh", ServiceType: 1, RepositoryURL: "https://github.example.com", APIURL: api.URL}, "gh-token")
	rs, err = f.svc.Repositories(f.ctx, gh)
	if err != nil || len(rs) != 101 || rs[0] != (gitrepo.Repository{"o", "a", "o/a"}) {
		t.Errorf("GitHub repositories = %d, %v; want 101 from two pages, o/a first", len(rs), err)
	}
	badTok := f.addGit(t, gitrepo.Input{Name: "gh2", ServiceType: 1, RepositoryURL: "https://github.example.com", APIURL: api.URL}, "nope")
	_, err = f.svc.Repositories(f.ctx, badTok)
	wantKind(t, err, apperr.KindInvalid)
	noTok := f.addGit(t, gitrepo.Input{Name: "gh3", ServiceType: 1, RepositoryURL: "https://github.example.com", APIURL: api.URL}, "")
	if rs, err := f.svc.Repositories(f.ctx, noTok); err != nil || len(rs) != 0 {
		t.Errorf("without a token = %v, %v; want none", rs, err)
	}
	down := f.addGit(t, gitrepo.Input{Name: "lab", ServiceType: 2, RepositoryURL: "https://lab.example.com", APIURL: closedURL(t)}, "tok")
	_, err = f.svc.Repositories(f.ctx, down)
	wantKind(t, err, apperr.KindBadGateway)
}

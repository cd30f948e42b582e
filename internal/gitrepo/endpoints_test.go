package gitrepo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

func TestCreateRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	for name, in := range map[string]gitrepo.Input{
		"no name":              {ServiceType: 5, RepositoryURL: "https://git.example.com"},
		"unknown type":         {Name: "x", ServiceType: 9, RepositoryURL: "https://git.example.com", APIURL: "https://git.example.com"},
		"no repository URL":    {Name: "x", ServiceType: 5},
		"no api URL (GitHub)":  {Name: "x", ServiceType: 1, RepositoryURL: "https://github.example.com"},
		"ftp":                  {Name: "x", ServiceType: 5, RepositoryURL: "ftp://git.example.com"},
		"ssh":                  {Name: "x", ServiceType: 5, RepositoryURL: "ssh://git@git.example.com"},
		"file for GitHub type": {Name: "x", ServiceType: 1, RepositoryURL: "file:///srv/git", APIURL: "https://api.example.com"},
		"credentials in URL":   {Name: "x", ServiceType: 5, RepositoryURL: "https://u:p@git.example.com"},
		"relative file URL":    {Name: "x", ServiceType: 5, RepositoryURL: "file:srv/git"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.Create(f.ctx, in)
			wantKind(t, err, apperr.KindInvalid)
		})
	}
}

func TestCreateEditDelete(t *testing.T) {
	f := newFixture(t)
	v, err := f.svc.Create(f.ctx, gitrepo.Input{Name: " local ", ServiceType: 5, RepositoryURL: "file:///srv/git/"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "local" || v.RepositoryURL != "file:///srv/git" || v.APIURL != v.RepositoryURL || v.ServiceTypeName != "Git" {
		t.Errorf("created %+v: want a trimmed name, no trailing slash, apiUrl = repositoryUrl, type Git", v)
	}
	e, err := f.svc.Edit(f.ctx, v.ID, gitrepo.Input{Name: "lab", ServiceType: 2, RepositoryURL: "https://lab.example.com", APIURL: "https://lab.example.com/api/v4"})
	if err != nil || e.Name != "lab" || e.ServiceTypeName != "GitLab" {
		t.Fatalf("edit = %+v, %v", e, err)
	}
	all, err := f.svc.List(f.ctx)
	if err != nil || len(all) != 3 || all[0].Name != "GitHub" || all[2].ID != v.ID {
		t.Fatalf("list = %+v, %v; want the two seeds and the new one", all, err)
	}

	_, err = f.svc.Edit(f.ctx, 1, gitrepo.Input{Name: "mine", ServiceType: 1, RepositoryURL: "https://x.example.com", APIURL: "https://x.example.com"})
	if e := wantKind(t, err, apperr.KindInvalid); !strings.Contains(e.Title, "built in") {
		t.Errorf("editing a seed: %q, want it to say the endpoint is built in", e.Title)
	}
	wantKind(t, f.svc.Delete(f.ctx, 2), apperr.KindConflict)
	wantKind(t, f.svc.Delete(f.ctx, 99), apperr.KindNotFound)
	_, err = f.svc.Get(f.ctx, 99)
	wantKind(t, err, apperr.KindNotFound)

	if err := f.svc.Delete(f.ctx, v.ID); err != nil {
		t.Fatalf("delete an unused endpoint: %v", err)
	}
	_, err = f.svc.Get(f.ctx, v.ID)
	wantKind(t, err, apperr.KindNotFound)
}

func TestDeleteBlockedWhileUsed(t *testing.T) {
	var asked []int64
	jobs := gitrepo.InUse{What: "training", Query: func(_ context.Context, _ store.Q, id int64) ([]string, error) {
		asked = append(asked, id)
		return []string{"#7"}, nil
	}}
	f := newFixture(t, gitrepo.WithInUse(jobs))
	id := f.addGit(t, gitrepo.Input{Name: "local", ServiceType: 5, RepositoryURL: "file:///srv/git"}, "tok")

	e := wantKind(t, f.svc.Delete(f.ctx, id), apperr.KindConflict)
	if !strings.Contains(e.Title, "tenant sandbox") {
		t.Errorf("delete while a tenant uses it: %q, want it to name tenant sandbox", e.Title)
	}
	if err := f.db.Q().SetTenantLinks(f.ctx, sandbox, []int64{1}, []int64{1}); err != nil {
		t.Fatal(err)
	}
	e = wantKind(t, f.svc.Delete(f.ctx, id), apperr.KindConflict)
	if !strings.Contains(e.Title, "training #7") || len(asked) != 1 || asked[0] != id {
		t.Errorf("delete while a job uses it: %q (asked %v), want the added check to block it", e.Title, asked)
	}
}

func TestTenantListAndDefault(t *testing.T) {
	f := newFixture(t)
	id := f.addGit(t, gitrepo.Input{Name: "local", ServiceType: 5, RepositoryURL: "file:///srv/git"}, "")
	vs, err := f.svc.Selectable(f.ctx)
	if err != nil || len(vs) != 3 || vs[2].ID != id {
		t.Fatalf("selectable = %+v, %v; want the seeds and the new one", vs, err)
	}
	def, err := f.svc.DefaultGitID(f.ctx)
	if err != nil || def != 1 {
		t.Fatalf("DefaultGitID = %d, %v; want 1", def, err)
	}
	_, err = f.svc.Source(f.ctx, 2, "o", "r") // GitLab.com exists but sandbox does not use it
	if e := wantKind(t, err, apperr.KindNotFound); !strings.Contains(e.Title, "not available in tenant sandbox") {
		t.Errorf("source on an endpoint of another tenant: %q", e.Title)
	}
	_, err = f.svc.Source(f.ctx, 42, "o", "r")
	wantKind(t, err, apperr.KindNotFound)
}

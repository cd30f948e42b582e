package gitrepo_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo/gitrepotest"
)

// project is team/project: master with three commits, dev one commit
// ahead of master's second, and 35 commits on long.
type project struct {
	root             string
	master, dev      []string
	long             []string
	devOnlyOldCommit string
}

func makeProject(t *testing.T) project {
	t.Helper()
	root := t.TempDir()
	r := gitrepotest.MakeRepo(t, root, "team/project")
	p := project{root: root}
	p.master = append(p.master, r.Commit("a.txt", "a", "first"), r.Commit("b.txt", "b", "second\n\nwith a body"))
	r.Branch("dev")
	p.devOnlyOldCommit = r.Commit("d.txt", "d", "dev work")
	p.dev = append(p.dev, p.devOnlyOldCommit, r.Commit("d.txt", "dd", "more dev work"))
	r.Checkout("master")
	p.master = append(p.master, r.Commit("c.txt", "c", "third"))
	r.Branch("long")
	p.long = r.Commits(35, "step")
	r.Checkout("master")
	gitrepotest.MakeRepo(t, root, "solo").Commit("s.txt", "s", "solo")
	return p
}

func ids(cs []gitrepo.Commit) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.CommitID)
	}
	return out
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestBrowseFileRepository(t *testing.T) {
	f := newFixture(t)
	p := makeProject(t)
	id := f.addGit(t, gitrepo.Input{Name: "dir", ServiceType: 5, RepositoryURL: gitrepotest.FileURL(p.root)}, "")

	bs, err := f.svc.Branches(f.ctx, id, "team", "project")
	if err != nil {
		t.Fatal(err)
	}
	wantBranches := []gitrepo.Branch{{"dev", p.dev[1]}, {"long", p.long[34]}, {"master", p.master[2]}}
	if diff := cmp.Diff(wantBranches, bs); diff != "" {
		t.Errorf("branches (-want +got):\n%s", diff)
	}

	cs, err := f.svc.Commits(f.ctx, id, "team", "project", "dev", 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(reversed(append(p.master[:2:2], p.dev...)), ids(cs)); diff != "" {
		t.Errorf("commits of dev (-want +got):\n%s", diff)
	}
	if c := cs[2]; c.Comment != "second\n\nwith a body" || c.CommitterName != "Tester" ||
		!c.CommitAt.Equal(gitrepotest.Start.Add(1*60e9)) || !strings.HasPrefix(c.Display, p.master[1][:7]+" second (Tester, 2026-01-10 09:01)") {
		t.Errorf("commit = %+v", c)
	}
	head, err := f.svc.Commits(f.ctx, id, "team", "project", "", 1)
	if err != nil || len(head) != 3 || head[0].CommitID != p.master[2] {
		t.Errorf("commits of HEAD = %v, %v; want master's three", ids(head), err)
	}

	all := reversed(append(p.master, p.long...))
	page1, err := f.svc.Commits(f.ctx, id, "team", "project", "long", 1)
	if err != nil {
		t.Fatal(err)
	}
	page2, err := f.svc.Commits(f.ctx, id, "team", "project", "long", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[:30], ids(page1)); diff != "" {
		t.Errorf("page 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all[30:], ids(page2)); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}

	one, err := f.svc.Commit(f.ctx, id, "team", "project", p.devOnlyOldCommit)
	if err != nil || one.CommitID != p.devOnlyOldCommit || one.Comment != "dev work" {
		t.Errorf("one commit = %+v, %v", one, err)
	}
	short, err := f.svc.Commit(f.ctx, id, "team", "project", p.master[0][:8])
	if err != nil || short.CommitID != p.master[0] {
		t.Errorf("commit by prefix = %+v, %v", short, err)
	}
	solo, err := f.svc.Branches(f.ctx, id, "", "solo")
	if err != nil || len(solo) != 1 || solo[0].BranchName != "master" {
		t.Errorf("branches of a repository without owner = %+v, %v", solo, err)
	}
}

func TestBrowseRefusesWhatIsNotThere(t *testing.T) {
	f := newFixture(t)
	p := makeProject(t)
	id := f.addGit(t, gitrepo.Input{Name: "dir", ServiceType: 5, RepositoryURL: gitrepotest.FileURL(p.root)}, "")
	cases := map[string]struct {
		call     func() error
		kind     apperr.Kind
		inTitle  string
		inDetail string
	}{
		"unknown branch": {func() error { _, err := f.svc.Commits(f.ctx, id, "team", "project", "nope", 1); return err },
			apperr.KindNotFound, "branch nope is not found in team/project", "dev, long, master"},
		"unknown commit": {func() error {
			_, err := f.svc.Commit(f.ctx, id, "team", "project", strings.Repeat("ab", 20))
			return err
		}, apperr.KindNotFound, "commit abab", ""},
		"not a commit id": {func() error { _, err := f.svc.Commit(f.ctx, id, "team", "project", "xyz"); return err },
			apperr.KindInvalid, "not a commit id", ""},
		"unknown repository": {func() error { _, err := f.svc.Branches(f.ctx, id, "team", "missing"); return err },
			apperr.KindNotFound, "repository team/missing is not found", ""},
		"owner climbing out": {func() error { _, err := f.svc.Branches(f.ctx, id, "team/..", "project"); return err },
			apperr.KindInvalid, "owner", ""},
		"repository with a slash": {func() error { _, err := f.svc.Branches(f.ctx, id, "team", "a/b"); return err },
			apperr.KindInvalid, "repository", ""},
		"page 0": {func() error { _, err := f.svc.Commits(f.ctx, id, "team", "project", "", 0); return err },
			apperr.KindInvalid, "page", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := wantKind(t, tc.call(), tc.kind)
			if !strings.Contains(e.Title, tc.inTitle) || !strings.Contains(e.Detail, tc.inDetail) {
				t.Errorf("error %q / %q, want %q in the title and %q in the detail", e.Title, e.Detail, tc.inTitle, tc.inDetail)
			}
		})
	}
}

func TestResolveCommit(t *testing.T) {
	f := newFixture(t)
	p := makeProject(t)
	id := f.addGit(t, gitrepo.Input{Name: "dir", ServiceType: 5, RepositoryURL: gitrepotest.FileURL(p.root)}, "")
	src, err := f.svc.Source(f.ctx, id, "team", "project")
	if err != nil {
		t.Fatal(err)
	}
	if want := gitrepotest.FileURL(p.root) + "/team/project"; src.URL != want || src.Token != "" {
		t.Errorf("source = %+v, want URL %s and no token", src, want)
	}
	for name, tc := range map[string]struct{ branch, commit, want string }{
		"default branch":             {"", "", p.master[2]},
		"named branch":               {"dev", "", p.dev[1]},
		"commit wins over branch":    {"dev", p.master[0], p.master[0]},
		"commit no branch points at": {"", p.devOnlyOldCommit, p.devOnlyOldCommit},
		"prefix of a commit":         {"", p.devOnlyOldCommit[:7], p.devOnlyOldCommit},
		"upper-case commit id":       {"", strings.ToUpper(p.long[3]), p.long[3]},
		"prefix of a branch head":    {"", p.long[34][:10], p.long[34]},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := f.svc.ResolveCommit(f.ctx, src, tc.branch, tc.commit)
			if err != nil || got != tc.want {
				t.Errorf("ResolveCommit(%q, %q) = %s, %v; want %s", tc.branch, tc.commit, got, err, tc.want)
			}
		})
	}

	_, err = f.svc.ResolveCommit(f.ctx, src, "gone", "")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.svc.ResolveCommit(f.ctx, src, "", strings.Repeat("0", 40))
	if e := wantKind(t, err, apperr.KindNotFound); !strings.Contains(e.Title, "commit 0000000") {
		t.Errorf("unknown commit: %q", e.Title)
	}

	// A repository whose branch is main: no branch named means master, and
	// the error says so.
	root := t.TempDir()
	r := gitrepotest.MakeRepo(t, root, "o/mainly")
	r.Commit("a", "a", "on master first")
	r.Branch("main")
	if err := deleteBranch(r.Dir, "master"); err != nil {
		t.Fatal(err)
	}
	mainSrc := gitrepo.Source{URL: gitrepotest.FileURL(root) + "/o/mainly"}
	_, err = f.svc.ResolveCommit(f.ctx, mainSrc, "", "")
	if e := wantKind(t, err, apperr.KindNotFound); !strings.Contains(e.Title, "branch master is not found in o/mainly") ||
		!strings.Contains(e.Detail, "no branch was named, so master was used; name one of: main") {
		t.Errorf("default branch missing: %q / %q", e.Title, e.Detail)
	}
}

// Package gitrepotest builds real git repositories for tests and serves
// them the ways git servers do: as a directory (file URLs) and over smart
// HTTP through git's own http-backend, on loopback.
package gitrepotest

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a repository under construction: a working tree at Dir.
type Repo struct {
	t    testing.TB
	Dir  string
	repo *git.Repository
	when time.Time
}

// Start is the committer time of the first commit; each next one is a
// minute later.
var Start = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

// MakeRepo creates an empty repository at root/path (path may hold '/':
// "owner/repo") whose HEAD is master.
func MakeRepo(t testing.TB, root, path string) *Repo {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(path))
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatalf("init %s: %v", dir, err)
	}
	return &Repo{t: t, Dir: dir, repo: r, when: Start}
}

// Commit writes file with content and commits it on the current branch;
// it returns the new commit id.
func (r *Repo) Commit(file, content, message string) string {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.Dir, file), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := wt.Add(file); err != nil {
		r.t.Fatal(err)
	}
	sig := &object.Signature{Name: "Tester", Email: "tester@example.com", When: r.when}
	r.when = r.when.Add(time.Minute)
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.t.Fatalf("commit %q: %v", message, err)
	}
	return h.String()
}

// Commits makes n commits of one file; it returns their ids, oldest first.
func (r *Repo) Commits(n int, prefix string) []string {
	r.t.Helper()
	var ids []string
	for i := range n {
		ids = append(ids, r.Commit("n.txt", strings.Repeat("x", i+1), prefix+" "+itoa(i+1)))
	}
	return ids
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// Branch creates branch at the current commit and checks it out.
func (r *Repo) Branch(name string) *Repo {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: true}); err != nil {
		r.t.Fatalf("branch %s: %v", name, err)
	}
	return r
}

// Checkout switches to an existing branch.
func (r *Repo) Checkout(name string) *Repo {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name)}); err != nil {
		r.t.Fatalf("checkout %s: %v", name, err)
	}
	return r
}

// FileURL is the file URL of root.
func FileURL(root string) string { return "file://" + filepath.ToSlash(root) }

// ServeHTTP serves the repositories under root over smart HTTP with git
// http-backend (git's own server) on loopback; with user set, requests
// must carry HTTP basic auth user:password. It returns the base URL.
// Tests that need it are skipped where git is not installed.
func ServeHTTP(t testing.TB, root, user, password string) string {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed: no http-backend to serve repositories")
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

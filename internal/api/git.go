package api

import (
	"net/http"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
)

// WithGit serves the git endpoints and repository browsing.
func WithGit(g *gitrepo.Service) Option { return func(s *Server) { s.gits = g } }

// jobMenus may browse repositories and images: every job screen picks them.
var jobMenus = []string{auth.MenuCodeTraining, auth.MenuCodePreprocess, auth.MenuCodeInference, auth.MenuCodeNotebook}

func (s *Server) gitRoutes() []*Route {
	const tag = "Git"
	const repo = "/api/v2/git/{gitId}/repos/{owner}/{repositoryName}"
	return []*Route{
		endpoint("GET", "/api/v2/admin/git/endpoints", func(r *http.Request) ([]gitrepo.View, error) {
			return s.gits.List(r.Context())
		}).Perm(auth.MenuCodeGit, auth.MenuCodeTenant).Doc(tag, "All git endpoints"),

		endpoint("GET", "/api/v2/admin/git/types", func(r *http.Request) ([]gitrepo.TypeView, error) {
			return gitrepo.Types(), nil
		}).Perm(auth.MenuCodeGit).Doc(tag, "Git service types (5 Git: any server that speaks the git protocol)"),

		endpoint("GET", "/api/v2/admin/git/endpoints/{id}", func(r *http.Request) (gitrepo.Details, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return gitrepo.Details{}, err
			}
			return s.gits.Get(r.Context(), id)
		}).Perm(auth.MenuCodeGit).Doc(tag, "One git endpoint"),

		bodyEndpoint("POST", "/api/v2/admin/git/endpoints", func(r *http.Request, in gitrepo.Input) (gitrepo.View, error) {
			return s.gits.Create(r.Context(), in)
		}).Perm(auth.MenuCodeGit).Code(http.StatusCreated).
			Doc(tag, "Register a git endpoint; repositories are <repositoryUrl>/<owner>/<repository>"),

		bodyEndpoint("PUT", "/api/v2/admin/git/endpoints/{id}", func(r *http.Request, in gitrepo.Input) (gitrepo.View, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return gitrepo.View{}, err
			}
			return s.gits.Edit(r.Context(), id, in)
		}).Perm(auth.MenuCodeGit).Doc(tag, "Edit a git endpoint (not the built-in ones)"),

		endpoint("DELETE", "/api/v2/admin/git/endpoints/{id}", func(r *http.Request) (NoContent, error) {
			id, err := pathID(r, "id")
			if err != nil {
				return NoContent{}, err
			}
			return NoContent{}, s.gits.Delete(r.Context(), id)
		}).Perm(auth.MenuCodeGit).Doc(tag, "Delete a git endpoint nothing uses (not the built-in ones)"),

		endpoint("GET", "/api/v2/tenant/git/endpoints", func(r *http.Request) ([]gitrepo.View, error) {
			return s.gits.Selectable(r.Context())
		}).Perm(auth.MenuCodeTenantSetting).Doc(tag, "The git endpoints a tenant manager may pick for the tenant (all)"),

		endpoint("GET", "/api/v2/git/{gitId}/repos", func(r *http.Request) ([]gitrepo.Repository, error) {
			id, err := pathID(r, "gitId")
			if err != nil {
				return nil, err
			}
			return s.gits.Repositories(r.Context(), id)
		}).Perm(jobMenus...).Calls().
			Doc(tag, "Repositories the caller's token sees (GitHub, GitLab, GitBucket; a file:// git directory); empty where the server cannot list"),

		endpoint("GET", repo+"/branches", func(r *http.Request) ([]gitrepo.Branch, error) {
			return s.gitBranches(r, r.PathValue("owner"), r.PathValue("repositoryName"))
		}).Perm(jobMenus...).Calls().Doc(tag, "Branches of a repository"),

		endpoint("GET", repo+"/commits", func(r *http.Request) ([]gitrepo.Commit, error) {
			return s.gitCommits(r, r.PathValue("owner"), r.PathValue("repositoryName"))
		}).Perm(jobMenus...).Calls().Q(
			Param{"branch", "string", "branch (default: the repository's HEAD branch)"},
			Param{"page", "integer", "page of 30 commits, from 1"},
		).Doc(tag, "Commits of a branch, newest first"),

		endpoint("GET", repo+"/commits/{commitId}", func(r *http.Request) (gitrepo.Commit, error) {
			return s.gitCommit(r, r.PathValue("owner"), r.PathValue("repositoryName"), r.PathValue("commitId"))
		}).Perm(jobMenus...).Calls().Doc(tag, "One commit (a full id or a prefix of at least 7 digits)"),

		newRoute[Raw]("GET", "/api/v2/git/{gitId}/repos/{segments...}", s.gitCatchAll).Perm(jobMenus...).Calls().
			Q(Param{"branch", "string", "branch (commits)"}, Param{"page", "integer", "page (commits)"}).
			Doc(tag, "The three repository routes above for owners that are empty or hold '/' (GitLab subgroups): "+
				"<owner…>/<repository>/branches, …/commits, …/commits/<commitId>"),
	}
}

func (s *Server) gitBranches(r *http.Request, owner, repo string) ([]gitrepo.Branch, error) {
	id, err := pathID(r, "gitId")
	if err != nil {
		return nil, err
	}
	return s.gits.Branches(r.Context(), id, owner, repo)
}

func (s *Server) gitCommits(r *http.Request, owner, repo string) ([]gitrepo.Commit, error) {
	id, err := pathID(r, "gitId")
	if err != nil {
		return nil, err
	}
	page, err := queryInt(r, "page", 1)
	if err != nil {
		return nil, err
	}
	return s.gits.Commits(r.Context(), id, owner, repo, query(r, "branch"), page)
}

func (s *Server) gitCommit(r *http.Request, owner, repo, commit string) (gitrepo.Commit, error) {
	id, err := pathID(r, "gitId")
	if err != nil {
		return gitrepo.Commit{}, err
	}
	return s.gits.Commit(r.Context(), id, owner, repo, commit)
}

// gitCatchAll dispatches <owner…>/<repo>/branches, …/commits and
// …/commits/<id>, as the original's catch-all route did.
func (s *Server) gitCatchAll(w http.ResponseWriter, r *http.Request) error {
	segs := strings.Split(r.PathValue("segments"), "/")
	n := len(segs)
	split := func(k int) (string, string) { return strings.Join(segs[:n-k-1], "/"), segs[n-k-1] }
	var out any
	var err error
	switch {
	case n >= 2 && segs[n-1] == "branches":
		owner, repo := split(1)
		out, err = s.gitBranches(r, owner, repo)
	case n >= 2 && segs[n-1] == "commits":
		owner, repo := split(1)
		out, err = s.gitCommits(r, owner, repo)
	case n >= 3 && segs[n-2] == "commits":
		owner, repo := split(2)
		out, err = s.gitCommit(r, owner, repo, segs[n-1])
	default:
		return apperr.NotFound("no API endpoint %s %s", r.Method, r.URL.Path).
			WithDetail("use …/repos/<owner>/<repository>/branches, …/commits or …/commits/<commitId>")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

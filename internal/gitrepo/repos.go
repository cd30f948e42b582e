package gitrepo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Repository is one repository the caller can see.
type Repository struct {
	Owner    string `json:"owner"`
	Name     string `json:"name"`
	FullName string `json:"fullName"`
}

// Bounds of a listing.
const (
	apiPageSize  = 100
	apiMaxPages  = 10
	maxRepos     = 1000
	maxAPIAnswer = 8 << 20
)

// Repositories lists the repositories the caller can see on git endpoint
// gitID. The git protocol cannot list repositories: GitHub, GitBucket and
// GitLab are asked through their REST API with the caller's token (none
// without a token); a plain git server on a file URL is a directory whose
// repositories (owner/repo or repo) are listed; other plain servers list
// none, and their repositories are typed in.
func (s *Service) Repositories(ctx context.Context, gitID int64) ([]Repository, error) {
	e, err := s.forCaller(ctx, gitID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out []Repository
	switch t := ServiceType(e.ServiceType); {
	case t == Git && strings.HasPrefix(e.RepositoryURL, "file:"):
		u, err := url.Parse(e.RepositoryURL)
		if err != nil {
			return nil, err
		}
		out, err = scanDir(u.Path)
		if err != nil {
			return nil, err
		}
	case e.token == "" || t == Git:
	case t == GitLab || t == GitLabCom:
		out, err = s.gitlabRepos(ctx, e)
	default:
		out, err = s.githubRepos(ctx, e)
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Repository{}
	}
	slices.SortFunc(out, func(a, b Repository) int { return strings.Compare(a.FullName, b.FullName) })
	return out, nil
}

func (s *Service) githubRepos(ctx context.Context, e endpoint) ([]Repository, error) {
	var out []Repository
	for page := 1; page <= apiMaxPages; page++ {
		var got []struct {
			Name     string `json:"name"`
			FullName string `json:"full_name"`
			Owner    struct {
				Login string `json:"login"`
			} `json:"owner"`
		}
		u := fmt.Sprintf("%s/user/repos?per_page=%d&page=%d", e.APIURL, apiPageSize, page)
		if err := s.getJSON(ctx, u, "Authorization", "token "+e.token, &got); err != nil {
			return nil, err
		}
		for _, r := range got {
			out = append(out, Repository{Owner: r.Owner.Login, Name: r.Name, FullName: r.FullName})
		}
		if len(got) < apiPageSize {
			break
		}
	}
	return out, nil
}

func (s *Service) gitlabRepos(ctx context.Context, e endpoint) ([]Repository, error) {
	base := e.APIURL
	if !strings.HasSuffix(base, "/api/v4") {
		base += "/api/v4"
	}
	var out []Repository
	for page := 1; page <= apiMaxPages; page++ {
		var got []struct {
			Path              string `json:"path"`
			PathWithNamespace string `json:"path_with_namespace"`
			Namespace         struct {
				FullPath string `json:"full_path"`
			} `json:"namespace"`
		}
		u := fmt.Sprintf("%s/projects?membership=true&simple=true&per_page=%d&page=%d", base, apiPageSize, page)
		if err := s.getJSON(ctx, u, "PRIVATE-TOKEN", e.token, &got); err != nil {
			return nil, err
		}
		for _, r := range got {
			out = append(out, Repository{Owner: r.Namespace.FullPath, Name: r.Path, FullName: r.PathWithNamespace})
		}
		if len(got) < apiPageSize {
			break
		}
	}
	return out, nil
}

// getJSON calls a service API with one credential header.
func (s *Service) getJSON(ctx context.Context, u, header, value string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return apperr.Invalid("the git endpoint's apiUrl does not make a valid URL").Wrap(err)
	}
	req.Header.Set(header, value)
	req.Header.Set("Accept", "application/json")
	res, err := s.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return apperr.BadGateway("the git server's API did not answer in time").Wrap(err)
		}
		return apperr.BadGateway("the git server's API could not be reached").WithDetail("%v", err).Wrap(err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return apperr.Invalid("the git server refused your token (HTTP %d)", res.StatusCode).
			WithDetail("set a valid token in Account settings → Git")
	case res.StatusCode != http.StatusOK:
		return apperr.BadGateway("the git server's API answered HTTP %d", res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAPIAnswer)).Decode(v); err != nil {
		return apperr.BadGateway("the git server's API answered something that is not a repository list").Wrap(err)
	}
	return nil
}

// maxScanDepth is how deep under a file URL's directory repositories are
// looked for: repo, owner/repo, group/subgroup/repo, …
const maxScanDepth = 4

// scanDir lists the repositories in dir and below it.
func scanDir(dir string) ([]Repository, error) {
	if _, err := os.ReadDir(dir); err != nil {
		return nil, apperr.BadGateway("the git directory %s cannot be read", dir).WithDetail("%v", err).Wrap(err)
	}
	var out []Repository
	var scan func(dir, owner string, depth int)
	scan = func(dir, owner string, depth int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, d := range entries {
			name := d.Name()
			if !d.IsDir() || strings.HasPrefix(name, ".") || len(out) >= maxRepos {
				continue
			}
			p := filepath.Join(dir, name)
			if isRepo(p) {
				name = strings.TrimSuffix(name, ".git")
				if checkName("repository", name) == nil {
					out = append(out, Repository{Owner: owner, Name: name, FullName: strings.TrimPrefix(owner+"/"+name, "/")})
				}
			} else if depth < maxScanDepth && checkName("owner", name) == nil {
				scan(p, strings.TrimPrefix(owner+"/"+name, "/"), depth+1)
			}
		}
	}
	scan(dir, "", 1)
	return out, nil
}

// isRepo reports whether dir is a bare repository or a working tree.
func isRepo(dir string) bool {
	if st, err := os.Stat(filepath.Join(dir, ".git")); err == nil && st.IsDir() {
		return true
	}
	_, errHead := os.Stat(filepath.Join(dir, "HEAD"))
	st, errObj := os.Stat(filepath.Join(dir, "objects"))
	return errHead == nil && errObj == nil && st.IsDir()
}

package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// The registry protocol's catalog is closed on Docker Hub and GitLab; their
// own APIs list what the user can see there.

const (
	apiPageSize  = 100
	apiMaxPages  = 10
	maxAPIAnswer = 8 << 20
)

// hubImages lists the user's repositories on Docker Hub (none without a user name).
func (s *Service) hubImages(ctx context.Context, e endpoint) ([]string, error) {
	if e.user == "" {
		return nil, nil
	}
	next := fmt.Sprintf("%s/v2/repositories/%s/?page_size=%d", strings.TrimRight(e.APIURL, "/"), url.PathEscape(e.user), apiPageSize)
	var out []string
	for page := 0; page < apiMaxPages && next != ""; page++ {
		var got struct {
			Next    string `json:"next"`
			Results []struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"results"`
		}
		if err := s.getJSON(ctx, e, next, "", &got); err != nil {
			return nil, err
		}
		for _, r := range got.Results {
			out = append(out, r.Namespace+"/"+r.Name)
		}
		next = got.Next
	}
	return out, nil
}

// gitlabImages lists the container repositories of the registry's GitLab project.
func (s *Service) gitlabImages(ctx context.Context, e endpoint) ([]string, error) {
	if e.password == "" {
		return nil, nil
	}
	base := strings.TrimRight(e.APIURL, "/")
	if !strings.HasSuffix(base, "/api/v4") {
		base += "/api/v4"
	}
	var out []string
	for page := 1; page <= apiMaxPages; page++ {
		var got []struct {
			Path string `json:"path"`
		}
		u := fmt.Sprintf("%s/projects/%s/registry/repositories?per_page=%d&page=%d", base, url.PathEscape(e.ProjectName), apiPageSize, page)
		if err := s.getJSON(ctx, e, u, e.password, &got); err != nil {
			return nil, err
		}
		for _, r := range got {
			out = append(out, r.Path)
		}
		if len(got) < apiPageSize {
			break
		}
	}
	return out, nil
}

// getJSON calls a service API; gitlabToken, when set, goes in PRIVATE-TOKEN.
func (s *Service) getJSON(ctx context.Context, e endpoint, u, gitlabToken string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return apperr.Invalid("registry %s: its apiUrl does not make a valid URL", e.Name).Wrap(err)
	}
	req.Header.Set("Accept", "application/json")
	if gitlabToken != "" {
		req.Header.Set("PRIVATE-TOKEN", gitlabToken)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return registryErr(err, e.Name, "")
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return apperr.Invalid("registry %s refused your credentials (HTTP %d)", e.Name, res.StatusCode).
			WithDetail("set your user name and password for it in Account settings → Registry")
	case res.StatusCode != http.StatusOK:
		return apperr.BadGateway("registry %s's API answered HTTP %d", e.Name, res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAPIAnswer)).Decode(v); err != nil {
		return apperr.BadGateway("registry %s's API answered something that is not an image list", e.Name).Wrap(err)
	}
	return nil
}

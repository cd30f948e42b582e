// Package benchkit holds what the API benchmarks share: a small client for
// the server's JSON API, a tenant set up to run trainings (a local git
// repository, a data and a dataset), and percentiles.
package benchkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// API calls one server as one user.
type API struct {
	Base   string
	Token  string
	Client *http.Client
}

// Call sends body as JSON and decodes a 2xx answer into out.
func (a *API) Call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	c := a.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Login signs in as admin and keeps the token.
func (a *API) Login(password string) error {
	var login struct {
		Token string `json:"token"`
	}
	if err := a.Call("POST", "/api/v2/account/login", map[string]string{"userName": "admin", "password": password}, &login); err != nil {
		return err
	}
	a.Token = login.Token
	return nil
}

// Training is what a benchmark needs to start trainings in the sandbox
// tenant: a dataset and a git model (owner "bench", repository "model").
type Training struct {
	DataSetID int64
	cleanup   func()
}

// Close removes the local git repository.
func (t Training) Close() { t.cleanup() }

// Run is the body of POST /training/run for one training of entry, with
// resources.
func (t Training) Run(entry string, cpu, memory, gpu int) map[string]any {
	return map[string]any{"name": "bench",
		"containerImage": map[string]string{"image": "busybox", "tag": "1"}, "dataSetId": t.DataSetID,
		"gitModel":   map[string]string{"owner": "bench", "repository": "model", "branch": "master"},
		"entryPoint": entry, "cpu": cpu, "memory": memory, "gpu": gpu}
}

// SetupTraining registers a local git repository as the sandbox tenant's
// git server and creates an empty data and a dataset of it.
func SetupTraining(a *API) (Training, error) {
	base, err := os.MkdirTemp("", "kqi-bench-git")
	if err != nil {
		return Training{}, err
	}
	t := Training{cleanup: func() { os.RemoveAll(base) }}
	if err := gitRepo(filepath.Join(base, "bench", "model")); err != nil {
		t.Close()
		return Training{}, err
	}
	var g, d, ds struct {
		ID int64 `json:"id"`
	}
	steps := []func() error{
		func() error {
			return a.Call("POST", "/api/v2/admin/git/endpoints", map[string]any{"name": "bench", "serviceType": 5,
				"apiUrl": "file://" + base, "repositoryUrl": "file://" + base}, &g)
		},
		func() error {
			return a.Call("PUT", "/api/v2/admin/tenants/1", map[string]any{"displayName": "sandbox", "gitIds": []int64{1, g.ID},
				"defaultGitId": g.ID, "registryIds": []int64{1}, "defaultRegistryId": 1, "storageId": 1}, nil)
		},
		func() error { return a.Call("POST", "/api/v2/data", map[string]any{"name": "bench"}, &d) },
		func() error {
			return a.Call("POST", "/api/v2/datasets", map[string]any{"name": "bench", "isFlat": true,
				"flatEntries": []map[string]int64{{"id": d.ID}}}, &ds)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Close()
			return Training{}, err
		}
	}
	t.DataSetID = ds.ID
	return t, nil
}

func gitRepo(dir string) error {
	r, err := git.PlainInit(dir, false)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("bench\n"), 0o644); err != nil {
		return err
	}
	wt, err := r.Worktree()
	if err != nil {
		return err
	}
	if _, err := wt.Add("README"); err != nil {
		return err
	}
	_, err = wt.Commit("bench", &git.CommitOptions{Author: &object.Signature{Name: "b", Email: "b@example.com", When: time.Now()}})
	return err
}

// Pct is the p-th percentile of v (nearest rank).
func Pct(v []float64, p int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

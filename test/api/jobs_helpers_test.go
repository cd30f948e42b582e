package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo/gitrepotest"
)

// gitRepo makes a repository <base>/<owner>/<name> whose master branch
// holds files (one commit each), and returns the head commit.
func gitRepo(t *testing.T, base, owner, name string, files map[string]string) string {
	t.Helper()
	r := gitrepotest.MakeRepo(t, base, owner+"/"+name)
	var head string
	for _, f := range slices.Sorted(maps.Keys(files)) {
		head = r.Commit(f, files[f], "add "+f)
	}
	return head
}

type gitEndpointOut struct {
	ID int64 `json:"id"`
}

// addGit registers a plain git server at file://base and makes it the
// default of the sandbox tenant.
func (e *env) addGit(t *testing.T, admin *client, base string) int64 {
	t.Helper()
	var g gitEndpointOut
	admin.Do(t, "POST", "/api/v2/admin/git/endpoints", map[string]any{"name": "local", "serviceType": 5,
		"apiUrl": "file://" + base, "repositoryUrl": "file://" + base}).want(t, http.StatusCreated).decode(t, &g)
	admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/tenants/%d", sandboxID), tenantIn{DisplayName: "sandbox",
		GitIDs: []int64{1, g.ID}, DefaultGitID: &g.ID, RegistryIDs: []int64{1}, DefaultRegistryID: ptr(int64(1)),
		StorageID: defaultStorageID}).want(t, http.StatusOK)
	return g.ID
}

type jobOut struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	Status        string   `json:"status"`
	StatusType    string   `json:"statusType"`
	ConditionNote string   `json:"conditionNote"`
	OutputValue   string   `json:"outputValue"`
	Devices       string   `json:"devices"`
	ExitCode      *int64   `json:"exitCode"`
	Tags          []string `json:"tags"`
	GitModel      struct {
		CommitID string `json:"commitId"`
	} `json:"gitModel"`
}

type runIn struct {
	Name           string            `json:"name"`
	ContainerImage map[string]any    `json:"containerImage"`
	DataSetID      int64             `json:"dataSetId"`
	ParentIDs      []int64           `json:"parentIds,omitempty"`
	GitModel       map[string]any    `json:"gitModel"`
	EntryPoint     string            `json:"entryPoint"`
	Options        map[string]string `json:"options,omitempty"`
	CPU            int               `json:"cpu"`
	Memory         int               `json:"memory"`
	GPU            int               `json:"gpu"`
	Tags           []string          `json:"tags,omitempty"`
	Zip            bool              `json:"zip,omitempty"`
	Partition      string            `json:"partition,omitempty"`
}

func makeRun(name string, dataset int64, entry string) runIn {
	return runIn{Name: name, ContainerImage: map[string]any{"image": "python", "tag": "3.12"}, DataSetID: dataset,
		GitModel: map[string]any{"owner": "team", "repository": "model", "branch": "master"}, EntryPoint: entry, CPU: 1, Memory: 1}
}

// waitJob polls a job until its status is one of want (or the deadline).
func (c *client) waitJob(t *testing.T, path string, want ...string) jobOut {
	t.Helper()
	var j jobOut
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c.Do(t, "GET", path, nil).want(t, http.StatusOK).decode(t, &j)
		for _, w := range want {
			if j.Status == w {
				return j
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: status %s (%s), want one of %v", path, j.Status, j.ConditionNote, want)
	return j
}

// processesWith lists the processes whose command line contains marker.
func processesWith(marker string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			out = append(out, e.Name())
		}
	}
	return out
}

func sleep50() { time.Sleep(50 * time.Millisecond) }

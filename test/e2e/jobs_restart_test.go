package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// call sends one API request with a token and decodes the answer.
func call(t *testing.T, url, token, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if p, ok := out.(*string); ok {
			*p = string(raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type training struct {
	ID            int64  `json:"id"`
	Status        string `json:"status"`
	ConditionNote string `json:"conditionNote"`
}

func waitStatus(t *testing.T, url, token string, id int64, want ...string) training {
	t.Helper()
	var tr training
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		call(t, url, token, "GET", fmt.Sprintf("/api/v2/training/%d", id), nil, &tr)
		for _, w := range want {
			if tr.Status == w {
				return tr
			}
		}
	}
	t.Fatalf("training %d: %s (%s), want %v", id, tr.Status, tr.ConditionNote, want)
	return tr
}

func running(marker string) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			return true
		}
	}
	return false
}

// TestJobsSurviveRestart: a server restart neither kills nor forgets jobs.
// One job runs across the restart and completes with its whole log; one
// that ended while the server was down has its outcome recorded.
func TestJobsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	base := t.TempDir()
	repoDir := filepath.Join(base, "team", "model")
	r, err := git.PlainInit(repoDir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	if err := os.WriteFile(filepath.Join(repoDir, "README"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _ = wt.Add("README")
	if _, err := wt.Commit("init", &git.CommitOptions{Author: &object.Signature{Name: "a", Email: "a@example.com", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	env := []string{"KAMONOHASHI_ADMIN_PASSWORD=restart-pass-1", "KAMONOHASHI_GPUS=none"}
	s := start(t, dir, env...)
	_, token := login(t, s.url, "admin", "restart-pass-1")
	var g, d, ds struct {
		ID int64 `json:"id"`
	}
	call(t, s.url, token, "POST", "/api/v2/admin/git/endpoints", map[string]any{"name": "local", "serviceType": 5,
		"apiUrl": "file://" + base, "repositoryUrl": "file://" + base}, &g)
	call(t, s.url, token, "PUT", "/api/v2/admin/tenants/1", map[string]any{"displayName": "sandbox", "gitIds": []int64{1, g.ID},
		"defaultGitId": g.ID, "registryIds": []int64{1}, "defaultRegistryId": 1, "storageId": 1}, nil)
	call(t, s.url, token, "POST", "/api/v2/data", map[string]any{"name": "d"}, &d)
	call(t, s.url, token, "POST", "/api/v2/datasets", map[string]any{"name": "s", "isFlat": true,
		"flatEntries": []map[string]int64{{"id": d.ID}}}, &ds)
	stamp := time.Now().UnixNano()
	across, ended := fmt.Sprintf("kqi-across-%d", stamp), fmt.Sprintf("kqi-ended-%d", stamp)
	run := func(entry string) int64 {
		var tr training
		call(t, s.url, token, "POST", "/api/v2/training/run", map[string]any{"name": "r",
			"containerImage": map[string]string{"image": "busybox", "tag": "1"}, "dataSetId": ds.ID,
			"gitModel": map[string]string{"owner": "team", "repository": "model"}, "entryPoint": entry,
			"cpu": 0, "memory": 0, "gpu": 0}, &tr)
		return tr.ID
	}
	// The first waits for a file that appears only after the restart.
	gate := filepath.Join(t.TempDir(), "gate")
	long := run(fmt.Sprintf("echo before; while [ ! -e %s ]; do sleep 0.05; done # %s\necho after", gate, across))
	short := run(fmt.Sprintf("sleep 0.5 # %s\nexit 3", ended))
	waitStatus(t, s.url, token, long, "Running")
	waitStatus(t, s.url, token, short, "Running")
	if err := s.stop(t); err != nil {
		t.Fatalf("stop: %v\n%s", err, s.logs())
	}
	if !running(across) {
		var super []string
		matches, _ := filepath.Glob(filepath.Join(dir, "jobs", "*", "*"))
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil && len(b) < 4096 {
				super = append(super, m+":\n"+string(b))
			}
		}
		t.Fatalf("stopping the server killed the running job\n%s\n%s", s.logs(), strings.Join(super, "\n"))
	}
	for deadline := time.Now().Add(20 * time.Second); running(ended) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}

	s = start(t, dir, env...)
	defer s.stop(t)
	_, token = login(t, s.url, "admin", "restart-pass-1")
	if tr := waitStatus(t, s.url, token, short, "Killed", "Completed"); tr.Status != "Killed" {
		t.Errorf("the job that exited 3 while the server was down is %s", tr.Status)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s.url, token, long, "Completed")
	var log string
	call(t, s.url, token, "GET", fmt.Sprintf("/api/v2/training/%d/log", long), nil, &log)
	if !strings.Contains(log, "before") || !strings.Contains(log, "after") {
		t.Errorf("log across the restart = %q, want before and after", log)
	}
}

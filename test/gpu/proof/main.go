// Command proof drives a KAMONOHASHI server on a GPU machine through its API:
// it checks GPU discovery, runs a real PyTorch training from a local git
// repository on a dataset, downloads its log and output, and checks that one
// job gets exactly one GPU while a job that does not fit waits. Run it with
// test/gpu/run.sh, which starts the server.
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

//go:embed train.py
var trainPy string

type client struct {
	base, token string
}

func (c *client) do(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ct)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if p, ok := out.(*[]byte); ok {
			*p = data
			return resp.StatusCode, nil
		}
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

func must(_ int, err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

type job struct {
	ID            int64  `json:"id"`
	Status        string `json:"status"`
	ConditionNote string `json:"conditionNote"`
	Devices       string `json:"devices"`
	WaitingTime   string `json:"waitingTime"`
	ExecutionTime string `json:"executionTime"`
}

func (c *client) wait(id int64, timeout time.Duration, want ...string) job {
	var j job
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		must(c.do("GET", fmt.Sprintf("/api/v2/training/%d", id), nil, &j))
		for _, w := range want {
			if j.Status == w {
				return j
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	fail("training %d is %s (%s), want %v", id, j.Status, j.ConditionNote, want)
	return j
}

func main() {
	server := flag.String("server", "http://127.0.0.1:18080", "server URL")
	password := flag.String("password", "", "admin password")
	work := flag.String("work", "/tmp/kqi-gpu-proof", "directory for the git repository and the data")
	flag.Parse()
	c := &client{base: *server}
	var login struct {
		Token string `json:"token"`
	}
	must(c.do("POST", "/api/v2/account/login", map[string]string{"userName": "admin", "password": *password}, &login))
	c.token = login.Token

	// 1. GPU discovery.
	var nodes []struct {
		Name     string `json:"name"`
		Capacity struct {
			CPU, Memory, GPU int
		} `json:"capacity"`
		GPUs []struct {
			Index     int    `json:"index"`
			UUID      string `json:"uuid"`
			Name      string `json:"name"`
			MemoryMiB int64  `json:"memoryMiB"`
		} `json:"gpus"`
	}
	must(c.do("GET", "/api/v2/runner/nodes", nil, &nodes))
	if len(nodes) != 1 || len(nodes[0].GPUs) == 0 {
		fail("nodes = %+v, want one node with GPUs", nodes)
	}
	n := nodes[0]
	fmt.Printf("node %s: %d CPU, %d GiB, %d GPU\n", n.Name, n.Capacity.CPU, n.Capacity.Memory, len(n.GPUs))
	for _, g := range n.GPUs {
		fmt.Printf("  GPU %d: %s, %d MiB, %s\n", g.Index, g.Name, g.MemoryMiB, g.UUID)
	}
	smi, _ := exec.Command("nvidia-smi", "--query-gpu=index,name,memory.total,uuid", "--format=csv,noheader").Output()
	fmt.Printf("nvidia-smi says:\n%s", smi)

	// 2. Code in a local git repository, data from scikit-learn's digits.
	base := filepath.Join(*work, "git")
	dir := filepath.Join(base, "team", "digits")
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		fail("git init: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte(trainPy), 0o644); err != nil {
		fail("%v", err)
	}
	wt, _ := repo.Worktree()
	_, _ = wt.Add("train.py")
	commit, err := wt.Commit("digits MLP", &git.CommitOptions{Author: &object.Signature{Name: "proof", Email: "p@example.com", When: time.Now()}})
	if err != nil {
		fail("git commit: %v", err)
	}
	fmt.Printf("code: file://%s/team/digits at %s\n", base, commit)
	npz := filepath.Join(*work, "digits.npz")
	out, err := exec.Command("python3", "-c", "import numpy as np; from sklearn.datasets import load_digits; "+
		"d = load_digits(); np.savez('"+npz+"', X=d.data, y=d.target); print(d.data.shape)").CombinedOutput()
	if err != nil {
		fail("export digits: %v %s", err, out)
	}
	fmt.Printf("digits exported: %s", out)
	var g struct {
		ID int64 `json:"id"`
	}
	must(c.do("POST", "/api/v2/admin/git/endpoints", map[string]any{"name": "local", "serviceType": 5,
		"apiUrl": "file://" + base, "repositoryUrl": "file://" + base}, &g))
	must(c.do("PUT", "/api/v2/admin/tenants/1", map[string]any{"displayName": "sandbox", "gitIds": []int64{1, g.ID},
		"defaultGitId": g.ID, "registryIds": []int64{1}, "defaultRegistryId": 1, "storageId": 1}, nil))
	var data struct {
		ID int64 `json:"id"`
	}
	must(c.do("POST", "/api/v2/data", map[string]any{"name": "digits"}, &data))
	body, _ := os.ReadFile(npz)
	var up struct {
		StoredPath string `json:"storedPath"`
	}
	must(c.do("POST", "/api/v2/upload/stream?fileName=digits.npz&type=Data", body, &up))
	must(c.do("POST", fmt.Sprintf("/api/v2/data/%d/files", data.ID), map[string]any{
		"files": []map[string]string{{"fileName": "digits.npz", "storedPath": up.StoredPath}}}, nil))
	var ds struct {
		ID int64 `json:"id"`
	}
	must(c.do("POST", "/api/v2/datasets", map[string]any{"name": "digits",
		"entries": map[string]any{"training": []map[string]int64{{"id": data.ID}}}}, &ds))

	run := func(name string, hold int) job {
		var j job
		must(c.do("POST", "/api/v2/training/run", map[string]any{"name": name,
			"containerImage": map[string]string{"image": "pytorch/pytorch", "tag": "2.11"}, "dataSetId": ds.ID,
			"gitModel":   map[string]string{"owner": "team", "repository": "digits", "branch": "master"},
			"entryPoint": "python3 train.py", "cpu": 2, "memory": 8, "gpu": 1,
			"options": map[string]string{"HOLD_SECONDS": fmt.Sprint(hold), "NCCL_NVLS_ENABLE": "0",
				"TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}}, &j))
		return j
	}

	// 3. One training per GPU while they last; one more waits.
	var jobs []job
	for i := range n.GPUs {
		jobs = append(jobs, run(fmt.Sprintf("digits-%d", i), 20))
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		r := c.wait(j.ID, 120*time.Second, "Running", "Completed")
		if seen[r.Devices] {
			fail("two jobs got GPU %s", r.Devices)
		}
		seen[r.Devices] = true
		fmt.Printf("training %d: %s on GPU %s\n", r.ID, r.Status, r.Devices)
	}
	extra := run("digits-waits", 0)
	w := c.wait(extra.ID, 30*time.Second, "Pending")
	fmt.Printf("training %d: %s (%s)\n", w.ID, w.Status, w.ConditionNote)

	for _, j := range append(jobs, extra) {
		done := c.wait(j.ID, 300*time.Second, "Completed", "Killed", "Failed", "OOMKilled")
		var log []byte
		must(c.do("GET", fmt.Sprintf("/api/v2/training/%d/log", j.ID), nil, &log))
		fmt.Printf("--- training %d: %s, devices %s, waited %s, ran %s; log:\n%s", done.ID, done.Status, done.Devices,
			done.WaitingTime, done.ExecutionTime, log)
		if done.Status != "Completed" {
			fail("training %d ended %s (%s)", done.ID, done.Status, done.ConditionNote)
		}
		if !strings.Contains(string(log), "device_count=1 ") {
			fail("training %d saw more or less than its one GPU", done.ID)
		}
		var files []struct {
			FileName string `json:"fileName"`
			URL      string `json:"url"`
		}
		must(c.do("GET", fmt.Sprintf("/api/v2/training/%d/files?withUrl=true", j.ID), nil, &files))
		var listing struct {
			Files []struct {
				FileName string `json:"fileName"`
				URL      string `json:"url"`
				Size     int64  `json:"size"`
			} `json:"files"`
		}
		must(c.do("GET", fmt.Sprintf("/api/v2/training/%d/container-files?path=model&withUrl=true", j.ID), nil, &listing))
		for _, f := range append(files, []struct {
			FileName string `json:"fileName"`
			URL      string `json:"url"`
		}{{listing.Files[0].FileName, listing.Files[0].URL}}...) {
			resp, err := http.Get(f.URL)
			if err != nil || resp.StatusCode != 200 {
				fail("download %s: %v", f.FileName, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			fmt.Printf("downloaded %s: %d bytes\n", f.FileName, len(b))
		}
	}
	// 4. Memory: a job over its limit ends OOMKilled where cgroup v2 lets
	// the runner enforce limits (the events say when it cannot).
	var oom job
	must(c.do("POST", "/api/v2/training/run", map[string]any{"name": "oom",
		"containerImage": map[string]string{"image": "python", "tag": "3.12"}, "dataSetId": ds.ID,
		"gitModel":   map[string]string{"owner": "team", "repository": "digits", "branch": "master"},
		"entryPoint": "python3 -c 'b = bytearray(3 << 30); print(len(b))'", "cpu": 1, "memory": 1, "gpu": 0}, &oom))
	o := c.wait(oom.ID, 120*time.Second, "Completed", "Killed", "OOMKilled", "Failed")
	var evs []struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	must(c.do("GET", fmt.Sprintf("/api/v2/training/%d/events", oom.ID), nil, &evs))
	fmt.Printf("memory-limit job (1 GiB limit, allocates 3 GiB): %s (%s); events:\n", o.Status, o.ConditionNote)
	for _, e := range evs {
		fmt.Printf("  %s: %s\n", e.Reason, e.Message)
	}
	fmt.Println("GPU PROOF PASSED")
}

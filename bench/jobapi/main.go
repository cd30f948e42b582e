// Command jobapi measures jobs end to end through the HTTP API of a running
// server: from the moment POST /training/run is sent to the first line the
// command prints (the command prints its own clock, so no polling is
// measured), next to starting the same command directly with os/exec in the
// same run. Then how long a printed
// line takes to reach a client following GET /training/{id}/log/stream.
//
//	go run ./bench/jobapi -server http://127.0.0.1:18932 -password …
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

type api struct{ base, token string }

func (a *api) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
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

func main() {
	server := flag.String("server", "", "server URL")
	password := flag.String("password", "", "admin password")
	runs := flag.Int("runs", 20, "trainings to start")
	lines := flag.Int("lines", 50, "lines for the follower delay")
	flag.Parse()
	if err := run(&api{base: *server}, *password, *runs, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "jobapi:", err)
		os.Exit(1)
	}
}

func run(a *api, password string, runs, lines int) error {
	var login struct {
		Token string `json:"token"`
	}
	if err := a.call("POST", "/api/v2/account/login", map[string]string{"userName": "admin", "password": password}, &login); err != nil {
		return err
	}
	a.token = login.Token
	base, err := os.MkdirTemp("", "kqi-bench-git")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	if err := repo(filepath.Join(base, "bench", "model")); err != nil {
		return err
	}
	var g, d, ds struct {
		ID int64 `json:"id"`
	}
	if err := a.call("POST", "/api/v2/admin/git/endpoints", map[string]any{"name": "bench", "serviceType": 5,
		"apiUrl": "file://" + base, "repositoryUrl": "file://" + base}, &g); err != nil {
		return err
	}
	if err := a.call("PUT", "/api/v2/admin/tenants/1", map[string]any{"displayName": "sandbox", "gitIds": []int64{1, g.ID},
		"defaultGitId": g.ID, "registryIds": []int64{1}, "defaultRegistryId": 1, "storageId": 1}, nil); err != nil {
		return err
	}
	if err := a.call("POST", "/api/v2/data", map[string]any{"name": "bench"}, &d); err != nil {
		return err
	}
	if err := a.call("POST", "/api/v2/datasets", map[string]any{"name": "bench", "isFlat": true,
		"flatEntries": []map[string]int64{{"id": d.ID}}}, &ds); err != nil {
		return err
	}
	start := func(entry string) (int64, time.Time, error) {
		var j struct {
			ID int64 `json:"id"`
		}
		t0 := time.Now()
		err := a.call("POST", "/api/v2/training/run", map[string]any{"name": "bench",
			"containerImage": map[string]string{"image": "busybox", "tag": "1"}, "dataSetId": ds.ID,
			"gitModel":   map[string]string{"owner": "bench", "repository": "model", "branch": "master"},
			"entryPoint": entry, "cpu": 0, "memory": 0, "gpu": 0}, &j)
		return j.ID, t0, err
	}

	var ours, direct []float64
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		out, err := exec.Command("bash", "-c", "date +%s%N").Output()
		if err != nil {
			return err
		}
		direct = append(direct, msSince(t0, out))
		id, t1, err := start("date +%s%N")
		if err != nil {
			return err
		}
		first, err := firstLine(a, id)
		if err != nil {
			return err
		}
		ours = append(ours, msSince(t1, []byte(first)))
	}
	fmt.Printf("POST /training/run to the command's first line, %d runs:\n", runs)
	fmt.Printf("  direct os/exec   median %6.1f ms  p95 %6.1f ms\n", pct(direct, 50), pct(direct, 95))
	fmt.Printf("  through the API  median %6.1f ms  p95 %6.1f ms  (target: median <= 100 ms)\n", pct(ours, 50), pct(ours, 95))
	fmt.Printf("  ratio ours/direct (medians) %.1fx\n", pct(ours, 50)/pct(direct, 50))

	id, _, err := start(fmt.Sprintf("for i in $(seq %d); do date +%%s%%N; sleep 0.05; done", lines))
	if err != nil {
		return err
	}
	delays, err := follow(a, id)
	if err != nil {
		return err
	}
	fmt.Printf("log line to a client following /log/stream (SSE), %d lines: median %.1f ms, p95 %.1f ms (target: p95 <= 200 ms)\n",
		len(delays), pct(delays, 50), pct(delays, 95))
	return nil
}

func repo(dir string) error {
	r, err := git.PlainInit(dir, false)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("bench\n"), 0o644); err != nil {
		return err
	}
	wt, _ := r.Worktree()
	if _, err := wt.Add("README"); err != nil {
		return err
	}
	_, err = wt.Commit("bench", &git.CommitOptions{Author: &object.Signature{Name: "b", Email: "b@example.com", When: time.Now()}})
	return err
}

// stream opens the job's event stream and calls fn with each chunk of
// output and the time it arrived, until fn returns false or the job ends.
func stream(a *api, id int64, fn func(chunk string, at time.Time) bool) error {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v2/training/%d/log/stream", a.base, id), nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var chunk string
			if json.Unmarshal([]byte(data), &chunk) == nil && !fn(chunk, time.Now()) {
				return nil
			}
		}
	}
	return sc.Err()
}

// firstLine returns the job's first line of output.
func firstLine(a *api, id int64) (string, error) {
	var buf strings.Builder
	err := stream(a, id, func(chunk string, _ time.Time) bool {
		buf.WriteString(chunk)
		return !strings.Contains(buf.String(), "\n")
	})
	line, _, _ := strings.Cut(buf.String(), "\n")
	if line == "" && err == nil {
		err = fmt.Errorf("training %d printed nothing", id)
	}
	return line, err
}

// follow returns, for each line, the delay from its printing (its own
// content) to its arrival here.
func follow(a *api, id int64) ([]float64, error) {
	var out []float64
	var rest string
	err := stream(a, id, func(chunk string, at time.Time) bool {
		rest += chunk
		for {
			line, more, ok := strings.Cut(rest, "\n")
			if !ok {
				break
			}
			rest = more
			if ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64); err == nil {
				out = append(out, float64(at.UnixNano()-ns)/1e6)
			}
		}
		return true
	})
	return out, err
}

func msSince(t0 time.Time, printed []byte) float64 {
	ns, err := strconv.ParseInt(strings.TrimSpace(string(printed)), 10, 64)
	if err != nil {
		return -1
	}
	return float64(ns-t0.UnixNano()) / 1e6
}

func pct(v []float64, p int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

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
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/bench/internal/benchkit"
)

func main() {
	server := flag.String("server", "", "server URL")
	password := flag.String("password", "", "admin password")
	runs := flag.Int("runs", 20, "trainings to start")
	lines := flag.Int("lines", 50, "lines for the follower delay")
	flag.Parse()
	if err := run(&benchkit.API{Base: *server}, *password, *runs, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "jobapi:", err)
		os.Exit(1)
	}
}

func run(a *benchkit.API, password string, runs, lines int) error {
	if err := a.Login(password); err != nil {
		return err
	}
	tr, err := benchkit.SetupTraining(a)
	if err != nil {
		return err
	}
	defer tr.Close()
	start := func(entry string) (int64, time.Time, error) {
		var j struct {
			ID int64 `json:"id"`
		}
		t0 := time.Now()
		err := a.Call("POST", "/api/v2/training/run", tr.Run(entry, 0, 0, 0), &j)
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
	fmt.Printf("  direct os/exec   median %6.1f ms  p95 %6.1f ms\n", benchkit.Pct(direct, 50), benchkit.Pct(direct, 95))
	fmt.Printf("  through the API  median %6.1f ms  p95 %6.1f ms  (target: median <= 100 ms)\n", benchkit.Pct(ours, 50), benchkit.Pct(ours, 95))
	fmt.Printf("  ratio ours/direct (medians) %.1fx\n", benchkit.Pct(ours, 50)/benchkit.Pct(direct, 50))

	id, _, err := start(fmt.Sprintf("for i in $(seq %d); do date +%%s%%N; sleep 0.05; done", lines))
	if err != nil {
		return err
	}
	delays, err := follow(a, id)
	if err != nil {
		return err
	}
	fmt.Printf("log line to a client following /log/stream (SSE), %d lines: median %.1f ms, p95 %.1f ms (target: p95 <= 200 ms)\n",
		len(delays), benchkit.Pct(delays, 50), benchkit.Pct(delays, 95))
	return nil
}

// stream opens the job's event stream and calls fn with each chunk of
// output and the time it arrived, until fn returns false or the job ends.
func stream(a *benchkit.API, id int64, fn func(chunk string, at time.Time) bool) error {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v2/training/%d/log/stream", a.Base, id), nil)
	req.Header.Set("Authorization", "Bearer "+a.Token)
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
func firstLine(a *benchkit.API, id int64) (string, error) {
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
func follow(a *benchkit.API, id int64) ([]float64, error) {
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

// Command jobstart measures the local runner: the time from Submit of a job
// (code from a small git repository at a commit) to the first line its
// command prints, next to starting the same command directly with os/exec
// in the same run; and how long a printed line takes to reach a log
// follower.
//
//	go run ./bench/jobstart -bin bin/kamonohashi [-runs 20]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

func main() {
	bin := flag.String("bin", "bin/kamonohashi", "the kamonohashi binary (the supervisor)")
	runs := flag.Int("runs", 20, "jobs to start")
	lines := flag.Int("lines", 50, "lines for the follower latency")
	flag.Parse()
	if err := run(*bin, *runs, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "jobstart:", err)
		os.Exit(1)
	}
}

func run(bin string, runs, lines int) error {
	ctx := context.Background()
	exe, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "jobstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	repo, commit, err := makeRepo(filepath.Join(work, "repo"))
	if err != nil {
		return err
	}
	st, err := storage.NewFS(filepath.Join(work, "storage"), []byte("bench-signing-key-0123"))
	if err != nil {
		return err
	}
	r, err := local.New(ctx, filepath.Join(work, "jobs"), exe,
		func(context.Context, string) (storage.Store, error) { return st, nil },
		local.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	defer r.Close()

	const command = "bash run.sh"
	var direct, ours []time.Duration
	for i := range runs {
		d, err := directStart(filepath.Join(work, "repo"), command)
		if err != nil {
			return err
		}
		direct = append(direct, d)
		s := spec(int64(i+1), command, repo, commit)
		t0 := time.Now()
		if err := r.Submit(ctx, s); err != nil {
			return err
		}
		if _, err := firstLine(ctx, r, s.Key); err != nil {
			return err
		}
		ours = append(ours, time.Since(t0))
		if err := waitEnd(ctx, r, s.Key); err != nil {
			return err
		}
	}
	lat, err := lineLatency(ctx, r, spec(int64(runs+1), fmt.Sprintf(
		`for i in $(seq %d); do echo $EPOCHREALTIME; read -t 0.01 < /dev/zero 2>/dev/null || true; done`, lines), repo, commit))
	if err != nil {
		return err
	}
	fmt.Printf("%-46s %10s %10s\n", fmt.Sprintf("measure (%d runs)", runs), "median", "p95")
	row := func(name string, d []time.Duration) {
		fmt.Printf("%-46s %8.1f ms %7.1f ms\n", name, ms(pct(d, 50)), ms(pct(d, 95)))
	}
	row("baseline: bash via os/exec to first line", direct)
	row("local runner: Submit to first line", ours)
	fmt.Printf("%-46s %8.1f ms\n", "  of which the first job (empty git cache)", ms(ours[0]))
	fmt.Printf("%-46s %9.1fx\n", "ratio (median)", ms(pct(ours, 50))/ms(pct(direct, 50)))
	row(fmt.Sprintf("log line to follower (%d lines)", len(lat)), lat)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

func spec(id int64, command, repo, commit string) runner.Spec {
	return runner.Spec{
		Key: fmt.Sprintf("bench-training-%d", id), Tenant: "bench", Kind: runner.Training, ID: id, Command: command,
		Git:     &runner.GitSource{URL: repo, Commit: commit},
		Output:  storage.Key{Tenant: "bench", Type: storage.TrainingContainerOutputFiles, Path: fmt.Sprint(id)},
		Attach:  storage.Key{Tenant: "bench", Type: storage.TrainingContainerAttachedFiles, Path: fmt.Sprint(id)},
		LogName: fmt.Sprintf("training_stdout_stderr_%d.log", id),
	}
}

// makeRepo commits a tiny training script.
func makeRepo(dir string) (string, string, error) {
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return "", "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", "", err
	}
	files := map[string]string{"run.sh": "echo ready\n", "README.md": "# bench\n", "train/model.py": "print('x')\n"}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", "", err
		}
		if _, err := wt.Add(name); err != nil {
			return "", "", err
		}
	}
	h, err := wt.Commit("bench", &git.CommitOptions{Author: &object.Signature{Name: "b", Email: "b@example.com", When: time.Now()}})
	if err != nil {
		return "", "", err
	}
	return dir, h.String(), nil
}

// directStart is the baseline: the same command, started directly.
func directStart(dir, command string) (time.Duration, error) {
	t0 := time.Now()
	cmd := exec.Command("bash", "-c", command)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	return d, cmd.Wait()
}

func firstLine(ctx context.Context, r *local.Runner, key string) (string, error) {
	rc, err := r.Logs(ctx, key, true)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	line, err := bufio.NewReader(rc).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("first line of %s: %w", key, err)
	}
	return line, nil
}

func waitEnd(ctx context.Context, r *local.Runner, key string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ch, err := r.Watch(ctx)
	if err != nil {
		return err
	}
	for st := range ch {
		if st.Key == key && st.Phase.Terminal() {
			if st.Phase != runner.Succeeded {
				return fmt.Errorf("job %s: %s (%s)", key, st.Phase, st.Reason)
			}
			return nil
		}
	}
	return fmt.Errorf("job %s did not end", key)
}

// lineLatency follows a job printing timestamps and measures each line's
// delay from the command's echo to the follower.
func lineLatency(ctx context.Context, r *local.Runner, s runner.Spec) ([]time.Duration, error) {
	if err := r.Submit(ctx, s); err != nil {
		return nil, err
	}
	rc, err := r.Logs(ctx, s.Key, true)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []time.Duration
	br := bufio.NewReader(rc)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		now := time.Now()
		sec, frac, ok := strings.Cut(strings.TrimSpace(line), ".")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseInt(sec, 10, 64)
		us, err2 := strconv.ParseInt(frac, 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, now.Sub(time.Unix(s, us*1000)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no timestamped line from %s", s.Key)
	}
	return out, waitEnd(ctx, r, s.Key)
}

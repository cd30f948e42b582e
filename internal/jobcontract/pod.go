package jobcontract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// The phases of a Kubernetes job run in three containers that share the
// layout's directories: prepare (init), main (the user's image, through
// Exec) and finish (a sidecar, through AwaitExit and Finish). main hands
// its exit to finish in ExitPath and waits for DonePath.

// PathsEnv names the variable that maps the pod's paths onto others
// ("/kqi=/tmp/a,/kqi/output=/srv/out"): a test runs a rendered pod's
// commands on one machine with each volume's mount path mapped to a
// directory, as the kubelet's mounts would place them.
const PathsEnv = "KAMONOHASHI_JOB_PATHS"

// PathMap maps path prefixes; the longest matching prefix wins.
type PathMap map[string]string

// ParsePathMap reads a PathsEnv value.
func ParsePathMap(s string) (PathMap, error) {
	m := PathMap{}
	for _, pair := range strings.Split(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		from, to, ok := strings.Cut(pair, "=")
		if !ok || !filepath.IsAbs(from) || !filepath.IsAbs(to) {
			return nil, fmt.Errorf("%s: %q is not /from=/to", PathsEnv, pair)
		}
		m[filepath.Clean(from)] = filepath.Clean(to)
	}
	return m, nil
}

// Path maps p.
func (m PathMap) Path(p string) string {
	best := ""
	for from := range m {
		if (p == from || strings.HasPrefix(p, from+"/")) && len(from) > len(best) {
			best = from
		}
	}
	if best == "" {
		return p
	}
	return m[best] + strings.TrimPrefix(p, best)
}

// Layout maps every directory of l.
func (m PathMap) Layout(l Layout) Layout {
	return Layout{Root: m.Path(l.Root), Input: m.Path(l.Input), Output: m.Path(l.Output),
		Attach: m.Path(l.Attach), Git: m.Path(l.Git), Tmp: m.Path(l.Tmp)}
}

// Resolver maps what res resolves.
func (m PathMap) Resolver(res Resolver) Resolver { return mappedResolver{res, m} }

type mappedResolver struct {
	Resolver
	m PathMap
}

func (r mappedResolver) LocalPath(k storage.Key) (string, bool) {
	p, ok := r.Resolver.LocalPath(k)
	return r.m.Path(p), ok
}

// ExitPath is where main records how the user's command ended.
func (l Layout) ExitPath() string { return filepath.Join(l.Tmp, ".kqi-exit.json") }

// DonePath is where finish says that it has finished.
func (l Layout) DonePath() string { return filepath.Join(l.Tmp, ".kqi-finished") }

// Exec runs the user's command with `bash -c` in the job's working
// directory, its output appended to the log in Attach and copied to out,
// and records how it ended in ExitPath. The returned code is the
// command's (128+signal when a signal ended it).
func Exec(ctx context.Context, j Job, env []string, out io.Writer) (int, error) {
	log, err := os.OpenFile(filepath.Join(j.Layout.Attach, filepath.Base(j.Spec.LogName)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("open the log: %w", err)
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "bash", "-c", j.Spec.Command)
	cmd.Dir = j.Layout.WorkDir(j.Spec)
	cmd.Env = env
	w := io.MultiWriter(log, out)
	cmd.Stdout, cmd.Stderr = w, w
	res := Result{Started: time.Now()}
	err = cmd.Run()
	res.Finished = time.Now()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal, res.ExitCode = ws.Signal().String(), 128+int(ws.Signal())
		}
	case err != nil:
		res.ExitCode, res.Error = 127, err.Error()
		fmt.Fprintf(w, "kamonohashi: the command could not start: %v\n", err)
	}
	return res.ExitCode, WriteJSONAtomic(j.Layout.ExitPath(), res)
}

// AwaitFile waits until path exists or ctx ends.
func AwaitFile(ctx context.Context, path string) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// AwaitExit waits for main's record of the command's end.
func AwaitExit(ctx context.Context, l Layout) (Result, error) {
	var r Result
	if err := AwaitFile(ctx, l.ExitPath()); err != nil {
		return r, err
	}
	b, err := os.ReadFile(l.ExitPath())
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// Upload sends every file under dir to the server's runner file endpoint
// of job key (PUT /api/v2/runner/jobs/{key}/files/{area}/{path}) with the
// job's own token.
func Upload(ctx context.Context, server, key, token, area, dir string) error {
	client := &http.Client{}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		u := strings.TrimSuffix(server, "/") + "/api/v2/runner/jobs/" + url.PathEscape(key) + "/files/" + area + "/" +
			escapePath(filepath.ToSlash(rel))
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, f)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("upload %s/%s: %w", area, rel, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			return fmt.Errorf("upload %s/%s: %s: %s", area, rel, resp.Status, strings.TrimSpace(string(b)))
		}
		return nil
	})
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

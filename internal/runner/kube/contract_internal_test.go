package kube

import (
	"archive/zip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// kqiBin is our binary (KQI_BIN, or built once here).
func kqiBin(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("KQI_BIN"); b != "" {
		return b
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kqi-kube-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kamonohashi")
		out, err := exec.Command("go", "build", "-o", binPath, "../../../cmd/kamonohashi").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("build kamonohashi: %v", binErr)
	}
	return binPath
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// pod runs a rendered pod's containers on this machine: each volume
// becomes a directory (the NFS volume: the storage directory), each mount
// path is mapped onto it through KAMONOHASHI_JOB_PATHS, and the containers
// run in the kubelet's order: prepare, then finish beside main, which is
// stopped once main has exited.
type pod struct {
	t     *testing.T
	spec  corev1.PodSpec
	paths []string // KAMONOHASHI_JOB_PATHS entries
	bin   string
}

func newPod(t *testing.T, o objects, storeRoot string) *pod {
	dir := t.TempDir()
	p := &pod{t: t, spec: o.job.Spec.Template.Spec, bin: kqiBin(t)}
	vols := map[string]corev1.Volume{}
	for _, v := range p.spec.Volumes {
		vols[v.Name] = v
	}
	seen := map[string]bool{}
	for _, c := range append(p.spec.InitContainers, p.spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if seen[m.MountPath] {
				continue
			}
			seen[m.MountPath] = true
			v := vols[m.Name]
			host := filepath.Join(dir, m.Name)
			switch {
			case v.NFS != nil:
				// The export is the storage root; its path ends in the tenant.
				host = filepath.Join(storeRoot, path.Base(v.NFS.Path))
			case v.Secret != nil:
				for _, it := range v.Secret.Items {
					p.write(filepath.Join(host, it.Path), o.secret.Data[it.Key])
				}
			}
			host = filepath.Join(host, filepath.FromSlash(m.SubPath))
			if err := os.MkdirAll(host, 0o755); err != nil {
				t.Fatal(err)
			}
			p.paths = append(p.paths, m.MountPath+"="+host)
		}
	}
	return p
}

func (p *pod) write(file string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pod) cmd(c corev1.Container) *exec.Cmd {
	argv := append(append([]string{}, c.Command...), c.Args...)
	if argv[0] == helperBin {
		argv[0] = p.bin
	} else {
		m, err := jobcontract.ParsePathMap(strings.Join(p.paths, ","))
		if err != nil {
			p.t.Fatal(err)
		}
		argv[0] = m.Path(argv[0])
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), jobcontract.PathsEnv+"="+strings.Join(p.paths, ","))
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// run runs the pod and returns main's exit code.
func (p *pod) run() int {
	p.t.Helper()
	if err := p.cmd(p.spec.InitContainers[0]).Run(); err != nil {
		p.t.Fatalf("prepare: %v", err)
	}
	finish := p.cmd(p.spec.InitContainers[1])
	if err := finish.Start(); err != nil {
		p.t.Fatal(err)
	}
	err := p.cmd(p.spec.Containers[0]).Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("main: %v", err)
	}
	_ = finish.Process.Signal(syscall.SIGTERM) // the kubelet stops sidecars after main
	if err := finish.Wait(); err != nil {
		p.t.Errorf("finish: %v", err)
	}
	return code
}

func contractSpec(store string) runner.Spec {
	k := func(typ storage.ResourceType, p string) storage.Key {
		return storage.Key{Tenant: "sandbox", Type: typ, Path: p}
	}
	return runner.Spec{Key: "training-7", Tenant: "sandbox", Kind: runner.Training, ID: 7, Image: "user/image:1",
		Command:   `cat "$KQI_INPUT_DIR/training/1/a.txt" "$KQI_ROOT_DIR/parent/model.txt" > "$KQI_OUTPUT_DIR/copy.txt" && echo hello from main`,
		Env:       map[string]string{"KQI_TOKEN": "job-token"},
		Resources: runner.Resources{CPU: 1, MemoryGB: 2},
		Inputs:    []runner.Input{{DataPath: "training/1/a.txt", Stored: k(storage.Data, "1/a.txt")}},
		Mounts:    []runner.Mount{{Path: "parent", Source: k(storage.TrainingContainerOutputFiles, "5")}},
		Output:    k(storage.TrainingContainerOutputFiles, "7"), Attach: k(storage.TrainingContainerAttachedFiles, "7"),
		LogName: "training_stdout_stderr_7.log", ZipName: "training_output_7.zip"}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func zipNames(t *testing.T, p string) []string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

// With NFS, the rendered pod reads inputs and the parent from the
// storage directory and writes output, log and zip into it in place.
func TestRenderedPodRunsTheContractOnNFS(t *testing.T) {
	store := t.TempDir()
	stored := func(rel, content string) {
		p := filepath.Join(store, "sandbox", filepath.FromSlash(rel))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored("Data/1/a.txt", "data\n")
	stored("TrainingContainerOutputFiles/5/model.txt", "parent model\n")
	r := &Runner{opt: Options{HelperImage: "h", NFS: &NFS{Server: "nfs", Path: "/export"}}}
	for name, tc := range map[string]struct {
		command  string
		wantCode int
		wantZip  bool
	}{
		"success": {wantCode: 0, wantZip: true},
		"failure": {command: "echo failing; exit 3", wantCode: 3},
	} {
		t.Run(name, func(t *testing.T) {
			s := contractSpec(store)
			if tc.command != "" {
				s.Command, s.Key, s.ID = tc.command, "training-8", 8
				s.Output.Path, s.Attach.Path = "8", "8"
			}
			o, err := r.render(s)
			if err != nil {
				t.Fatal(err)
			}
			if code := newPod(t, o, store).run(); code != tc.wantCode {
				t.Fatalf("main exited %d, want %d", code, tc.wantCode)
			}
			out := filepath.Join(store, "sandbox", "TrainingContainerOutputFiles", s.Output.Path)
			attach := filepath.Join(store, "sandbox", "TrainingContainerAttachedFiles", s.Attach.Path)
			log := readFile(t, filepath.Join(attach, s.LogName))
			if !tc.wantZip {
				if !strings.Contains(log, "failing") {
					t.Errorf("log = %q", log)
				}
				if _, err := os.Stat(filepath.Join(attach, s.ZipName)); err == nil {
					t.Error("a failed run was zipped")
				}
				return
			}
			if got := readFile(t, filepath.Join(out, "copy.txt")); got != "data\nparent model\n" {
				t.Errorf("output = %q", got)
			}
			if !strings.Contains(log, "hello from main") {
				t.Errorf("log = %q", log)
			}
			if names := zipNames(t, filepath.Join(attach, s.ZipName)); len(names) != 1 || names[0] != "copy.txt" {
				t.Errorf("zip holds %v", names)
			}
		})
	}
}

// With S3, prepare downloads through the signed URLs and finish uploads
// output and attach to the server with the job's token.
func TestRenderedPodRunsTheContractWithS3(t *testing.T) {
	var mu sync.Mutex
	uploaded := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/signed/a.txt":
			_, _ = io.WriteString(w, "data\n")
		case r.Method == http.MethodGet && r.URL.Path == "/signed/model.txt":
			_, _ = io.WriteString(w, "parent model\n")
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v2/runner/jobs/training-7/files/"):
			if r.Header.Get("Authorization") != "Bearer job-token" {
				http.Error(w, "bad token", http.StatusUnauthorized)
				return
			}
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			uploaded[strings.TrimPrefix(r.URL.Path, "/api/v2/runner/jobs/training-7/files/")] = string(b)
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	s := contractSpec("")
	s.Inputs[0].URL = srv.URL + "/signed/a.txt"
	s.Mounts[0].Files = []runner.Input{{DataPath: "model.txt", URL: srv.URL + "/signed/model.txt"}}
	r := &Runner{opt: Options{HelperImage: "h", ServerURL: srv.URL}}
	o, err := r.render(s)
	if err != nil {
		t.Fatal(err)
	}
	if code := newPod(t, o, "").run(); code != 0 {
		t.Fatalf("main exited %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if uploaded["output/copy.txt"] != "data\nparent model\n" {
		t.Errorf("uploaded output = %q", uploaded["output/copy.txt"])
	}
	if !strings.Contains(uploaded["attach/"+s.LogName], "hello from main") {
		t.Errorf("uploaded %v, want the log", uploaded)
	}
	if _, ok := uploaded["attach/"+s.ZipName]; !ok {
		t.Errorf("uploaded %v, want the zip", uploaded)
	}
}

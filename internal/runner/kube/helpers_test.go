package kube_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// env is one test's view of the control plane: its own namespace prefix,
// tenant and kwok GPU nodes open to that tenant. Its runners see only its
// own nodes (a pool label), so tests running at the same time, here and
// in other packages, never label or use each other's nodes.
type env struct {
	t      *testing.T
	cfg    *rest.Config
	client kubernetes.Interface
	prefix string
	pool   string
	tenant string
	nodes  []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := kubetest.Config(t)
	c := kubetest.Client(t, cfg)
	return &env{t: t, cfg: cfg, client: c, prefix: kubetest.NamespacePrefix(t, c), pool: kubetest.Unique("pool"),
		tenant: "sandbox"}
}

// withNodes adds n kwok nodes of gpus GPUs open to the env's tenant.
func (e *env) withNodes(n, gpus int, extra map[string]string) *env {
	lbl := map[string]string{kube.TenantLabelPrefix + e.tenant: "true", kubetest.PoolLabel: e.pool}
	for k, v := range extra {
		lbl[k] = v
	}
	e.nodes = append(e.nodes, kubetest.AddGPUNodes(e.t, e.client, kubetest.Unique("kq"), n, gpus, lbl)...)
	return e
}

func (e *env) options() kube.Options {
	return kube.Options{NamespacePrefix: e.prefix, HelperImage: "example.com/kamonohashi:test",
		Tolerations: []corev1.Toleration{kubetest.KwokToleration}, ServerURL: "http://127.0.0.1:1",
		NodeSelector: kubetest.PoolLabel + "=" + e.pool,
		Logger:       slog.New(slog.DiscardHandler)}
}

// runner starts a runner with the env's options (adjusted) and applies
// the env's tenant.
func (e *env) runner(adjust ...func(*kube.Options)) *kube.Runner {
	e.t.Helper()
	return e.runnerAs(e.cfg, adjust...)
}

func (e *env) runnerAs(cfg *rest.Config, adjust ...func(*kube.Options)) *kube.Runner {
	e.t.Helper()
	o := e.options()
	for _, a := range adjust {
		a(&o)
	}
	r, err := kube.New(context.Background(), cfg, o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = r.Close() })
	if err := r.ApplyTenant(context.Background(), runner.TenantSetting{Name: e.tenant}); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// spec is a training of id in the env's tenant, with a dataset input and
// a parent, asking for 1 CPU, 1 GiB and gpus GPUs.
func (e *env) spec(id int64, gpus int) runner.Spec {
	key := func(typ storage.ResourceType, p string) storage.Key {
		return storage.Key{Tenant: e.tenant, Type: typ, Path: p}
	}
	return runner.Spec{Key: "training-" + itoa(id), Tenant: e.tenant, Kind: runner.Training, ID: id, User: "alice",
		Image: "registry.example.com/team/pytorch:2", Command: "python train.py",
		Env:       map[string]string{"KQI_TOKEN": "job-token", "TRAINING_ID": itoa(id), "KQI_SERVER": "http://kqi"},
		Resources: runner.Resources{CPU: 1, MemoryGB: 1, GPU: gpus},
		Inputs:    []runner.Input{{DataPath: "training/1/a.txt", Stored: key(storage.Data, "1/a.txt")}},
		Output:    key(storage.TrainingContainerOutputFiles, itoa(id)),
		Attach:    key(storage.TrainingContainerAttachedFiles, itoa(id)),
		LogName:   "training_stdout_stderr_" + itoa(id) + ".log", ZipName: "training_output_" + itoa(id) + ".zip"}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// waitStatus polls the runner until the job's status satisfies cond.
func waitStatus(t *testing.T, r *kube.Runner, key string, what string, cond func(runner.Status) bool) runner.Status {
	t.Helper()
	var last runner.Status
	kubetest.Eventually(t, time.Minute, key+" "+what, func(ctx context.Context) (bool, error) {
		st, err := r.Status(ctx, key)
		if err != nil {
			return false, nil
		}
		last = st
		return cond(st), nil
	})
	return last
}

func phase(p runner.Phase) func(runner.Status) bool {
	return func(st runner.Status) bool { return st.Phase == p }
}

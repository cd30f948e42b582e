package kube_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
)

func (e *env) job(r *kube.Runner, key string) *batchv1.Job {
	e.t.Helper()
	j, err := e.client.BatchV1().Jobs(e.prefix+e.tenant).Get(context.Background(), key, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func container(cs []corev1.Container, name string) corev1.Container {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return corev1.Container{}
}

func mountsOf(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, m := range c.VolumeMounts {
		out[m.MountPath] = m.Name + ":" + m.SubPath
		if m.ReadOnly {
			out[m.MountPath] += ":ro"
		}
	}
	return out
}

func TestSubmitRendersTheJobAndItSucceedsOnAGPUNode(t *testing.T) {
	for name, tc := range map[string]struct {
		nfs        *kube.NFS
		wantMounts map[string]string
	}{
		"NFS: the tenant's storage directory is mounted, output and attach in place": {
			nfs: &kube.NFS{Server: "nfs.example.com", Path: "/export/kqi"},
			wantMounts: map[string]string{"/kqi": "kqi:", "/kqi/spec": "spec::ro", "/dev/shm": "dshm:",
				"/kqi/store/sandbox": "store::ro", "/kqi/output": "store:TrainingContainerOutputFiles/7",
				"/kqi/attach": "store:TrainingContainerAttachedFiles/7"},
		},
		"S3: nothing mounted, finish uploads": {
			wantMounts: map[string]string{"/kqi": "kqi:", "/kqi/spec": "spec::ro", "/dev/shm": "dshm:"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t).withNodes(1, 8, nil)
			r := e.runner(func(o *kube.Options) { o.NFS = tc.nfs })
			s := e.spec(7, 2)
			s.Pull = &runner.RegistryAuth{Server: "registry.example.com", User: "alice", Password: "pw"}
			if err := r.Submit(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			if err := r.Submit(context.Background(), s); !errors.Is(err, runner.ErrExists) {
				t.Errorf("second submit: %v, want ErrExists", err)
			}
			j := e.job(r, s.Key)
			pod := j.Spec.Template.Spec
			main := container(pod.Containers, "main")
			if diff := cmp.Diff(tc.wantMounts, mountsOf(main)); diff != "" {
				t.Errorf("main's mounts (-want +got):\n%s", diff)
			}
			lim := main.Resources.Limits
			if lim.Cpu().String() != "1" || lim.Memory().String() != "1Gi" || lim.Name("nvidia.com/gpu", "").String() != "2" {
				t.Errorf("main's limits = %v", lim)
			}
			if main.Image != s.Image || main.Command[0] != "/kqi/bin/kamonohashi" {
				t.Errorf("main runs %s %v", main.Image, main.Command)
			}
			var names []string
			for _, c := range pod.InitContainers {
				names = append(names, c.Name)
			}
			if diff := cmp.Diff([]string{"prepare", "finish"}, names); diff != "" {
				t.Errorf("init containers (-want +got):\n%s", diff)
			}
			if rp := pod.InitContainers[1].RestartPolicy; rp == nil || *rp != corev1.ContainerRestartPolicyAlways {
				t.Errorf("finish is not a native sidecar: %v", rp)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Error("the pod gets a service account token")
			}
			terms := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			if len(terms) != 2 || terms[0].MatchExpressions[0].Key != kube.TenantLabelPrefix+"sandbox" ||
				terms[1].MatchExpressions[0].Key != kube.LabelAccess {
				t.Errorf("affinity = %+v", terms)
			}
			if len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != s.Key+"-pull" {
				t.Errorf("pull secrets = %v", pod.ImagePullSecrets)
			}
			for _, ev := range main.Env {
				if ev.Name == "KQI_TOKEN" && (ev.Value != "" || ev.ValueFrom == nil) {
					t.Error("the job token is written into the Job object")
				}
			}
			sec, err := e.client.CoreV1().Secrets(j.Namespace).Get(context.Background(), s.Key, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(sec.OwnerReferences) != 1 || sec.OwnerReferences[0].UID != j.UID {
				t.Errorf("the spec secret is not owned by the Job: %v", sec.OwnerReferences)
			}
			st := waitStatus(t, r, s.Key, "succeeds", func(st runner.Status) bool { return st.Phase.Terminal() })
			if st.Phase != runner.Succeeded || st.ExitCode == nil || *st.ExitCode != 0 || !slices.Contains(e.nodes, st.Node) {
				t.Errorf("status = %+v, want Succeeded with exit code 0 on %v", st, e.nodes)
			}
			if err := r.Remove(context.Background(), s.Key); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Status(context.Background(), s.Key); !errors.Is(err, runner.ErrNotFound) {
				t.Errorf("status after remove: %v", err)
			}
			kubetest.Eventually(t, time.Minute, "secrets go with the Job", func(ctx context.Context) (bool, error) {
				_, err := e.client.CoreV1().Secrets(j.Namespace).Get(ctx, s.Key+"-pull", metav1.GetOptions{})
				return apierrors.IsNotFound(err), nil
			})
		})
	}
}

func TestUnschedulableJobIsQueuedWithTheSchedulersReason(t *testing.T) {
	e := newEnv(t).withNodes(1, 8, nil)
	r := e.runner()
	s := e.spec(8, 16)
	if err := r.Submit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, r, s.Key, "queued with a reason", func(st runner.Status) bool {
		return st.Phase == runner.Queued && strings.Contains(st.Reason, "nvidia.com/gpu")
	})
	t.Logf("reason: %s", st.Reason)
	allocs, err := r.Allocations(context.Background())
	if err != nil || len(allocs) != 1 || allocs[0].Resources.GPU != 16 || allocs[0].Node != "" {
		t.Errorf("allocations = %+v, %v", allocs, err)
	}

	// Cancel removes the pod and the job stays Canceled, also for a new runner.
	if err := r.Cancel(context.Background(), s.Key); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, s.Key, "canceled", phase(runner.Canceled))
	kubetest.Eventually(t, time.Minute, "the pod goes", func(ctx context.Context) (bool, error) {
		pods, err := e.client.CoreV1().Pods(e.prefix+e.tenant).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelKey + "=" + s.Key})
		return err == nil && len(pods.Items) == 0, err
	})
	r2 := e.runner()
	if st, err := r2.Status(context.Background(), s.Key); err != nil || st.Phase != runner.Canceled {
		t.Errorf("after a restart: %+v, %v", st, err)
	}
}

func TestDeletedPodFailsTheJob(t *testing.T) {
	e := newEnv(t)
	r := e.runner()
	// No node is open to the tenant: the pod waits, and someone deletes it.
	s := e.spec(9, 1)
	if err := r.Submit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, s.Key, "queued", phase(runner.Queued))
	ns := e.prefix + e.tenant
	kubetest.Eventually(t, time.Minute, "delete the pod", func(ctx context.Context) (bool, error) {
		err := e.client.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: kube.LabelKey + "=" + s.Key})
		if err != nil {
			return false, err
		}
		st, _ := r.Status(ctx, s.Key)
		return st.Phase.Terminal(), nil
	})
	st, _ := r.Status(context.Background(), s.Key)
	if st.Phase != runner.Failed || !strings.Contains(st.Reason, "deleted") {
		t.Errorf("status = %+v, want Failed because the pod was deleted", st)
	}
}

func TestDeletedJobIsReportedFailedThenUnknown(t *testing.T) {
	e := newEnv(t)
	r := e.runner()
	s := e.spec(10, 1)
	if err := r.Submit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	ch, err := r.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, s.Key, "queued", phase(runner.Queued))
	bg := metav1.DeletePropagationBackground
	if err := e.client.BatchV1().Jobs(e.prefix+e.tenant).Delete(context.Background(), s.Key,
		metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		t.Fatal(err)
	}
	for st := range ch {
		if st.Phase.Terminal() {
			if st.Phase != runner.Failed {
				t.Errorf("last status = %+v", st)
			}
			break
		}
	}
	if _, err := r.Status(context.Background(), s.Key); !errors.Is(err, runner.ErrNotFound) {
		t.Errorf("status of a deleted job: %v, want ErrNotFound", err)
	}
}

func TestWatchSeesEveryTerminalStatusAndARestartReportsThemAgain(t *testing.T) {
	e := newEnv(t).withNodes(2, 8, nil)
	r := e.runner()
	ch, err := r.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for id := int64(20); id < 26; id++ {
		s := e.spec(id, 1)
		want[s.Key] = true
		if err := r.Submit(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]runner.Phase{}
	timeout := time.After(2 * time.Minute)
	for len(seen) < len(want) {
		select {
		case st := <-ch:
			if st.Phase.Terminal() {
				if _, dup := seen[st.Key]; dup {
					t.Errorf("%s reported terminal twice", st.Key)
				}
				seen[st.Key] = st.Phase
			}
		case <-timeout:
			t.Fatalf("terminal statuses seen: %v of %v", seen, want)
		}
	}
	for k, p := range seen {
		if p != runner.Succeeded {
			t.Errorf("%s ended %s", k, p)
		}
	}

	// A new runner (a restarted server) reports them first on Watch.
	r2 := e.runner()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch2, _ := r2.Watch(ctx)
	for range want {
		st := <-ch2
		if !want[st.Key] || st.Phase != runner.Succeeded {
			t.Errorf("after restart: %+v", st)
		}
	}
}

func TestPartitionRoutesToItsNodes(t *testing.T) {
	e := newEnv(t).withNodes(1, 8, map[string]string{kube.LabelPartition: "a100"}).withNodes(1, 8, map[string]string{kube.LabelPartition: "v100"})
	r := e.runner()
	s := e.spec(30, 1)
	s.Partition = "v100"
	if err := r.Submit(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, r, s.Key, "placed", func(st runner.Status) bool { return st.Node != "" })
	if st.Node != e.nodes[1] {
		t.Errorf("placed on %s, want %s (partition v100)", st.Node, e.nodes[1])
	}
	nodes, err := r.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name == e.nodes[1] && (n.Partition != "v100" || n.Capacity.GPU != 8) {
			t.Errorf("node = %+v", n)
		}
	}
}

func TestApplyNodesLabelsOnlyOurKeys(t *testing.T) {
	e := newEnv(t).withNodes(2, 8, map[string]string{"team": "vision"})
	r := e.runner()
	ctx := context.Background()
	settings := []runner.NodeSetting{
		{Name: e.nodes[0], Partition: "p1", Access: runner.Private, Tenants: []string{"alpha", "beta"}, Notebook: true},
		{Name: e.nodes[1], Access: runner.Public, TensorBoard: true},
	}
	if err := r.ApplyNodes(ctx, settings); err != nil {
		t.Fatal(err)
	}
	labelsOf := func(name string) map[string]string {
		n, err := e.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for k, v := range n.Labels {
			if strings.Contains(k, "kamonohashi.io") || k == "team" {
				out[k] = v
			}
		}
		return out
	}
	want0 := map[string]string{"team": "vision", kube.LabelPartition: "p1", kube.TenantLabelPrefix + "alpha": "true",
		kube.TenantLabelPrefix + "beta": "true", kube.LabelNotebook: "true"}
	want1 := map[string]string{"team": "vision", kube.LabelAccess: "public", kube.LabelTensorBoard: "true"}
	kubetest.Eventually(t, time.Minute, "labels", func(context.Context) (bool, error) {
		return cmp.Equal(want0, labelsOf(e.nodes[0])) && cmp.Equal(want1, labelsOf(e.nodes[1])), nil
	})
	// Disabled, or no setting at all: our labels go, others stay.
	if err := r.ApplyNodes(ctx, []runner.NodeSetting{{Name: e.nodes[0], Access: runner.Disabled, Partition: "p1"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team": "vision"}
	kubetest.Eventually(t, time.Minute, "labels removed", func(context.Context) (bool, error) {
		return cmp.Equal(want, labelsOf(e.nodes[0])) && cmp.Equal(want, labelsOf(e.nodes[1])), nil
	})
}

func TestApplyTenantCreatesNamespaceQuotaAndBinding(t *testing.T) {
	e := newEnv(t)
	r := e.runner()
	ctx := context.Background()
	if err := r.ApplyTenant(ctx, runner.TenantSetting{Name: "team-a", Quota: runner.Resources{CPU: 8, GPU: 2}}); err != nil {
		t.Fatal(err)
	}
	ns := e.prefix + "team-a"
	q, err := e.client.CoreV1().ResourceQuotas(ns).Get(ctx, ns+"-compute", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range q.Spec.Hard {
		got[string(k)] = v.String()
	}
	if diff := cmp.Diff(map[string]string{"limits.cpu": "8", "requests.nvidia.com/gpu": "2"}, got); diff != "" {
		t.Errorf("quota (-want +got):\n%s", diff)
	}
	// Changing it updates; unlimited removes it; removing the tenant removes the namespace.
	if err := r.ApplyTenant(ctx, runner.TenantSetting{Name: "team-a", Quota: runner.Resources{MemoryGB: 64}}); err != nil {
		t.Fatal(err)
	}
	q, _ = e.client.CoreV1().ResourceQuotas(ns).Get(ctx, ns+"-compute", metav1.GetOptions{})
	if len(q.Spec.Hard) != 1 || q.Spec.Hard.Name("limits.memory", "").String() != "64Gi" {
		t.Errorf("updated quota = %v", q.Spec.Hard)
	}
	if err := r.ApplyTenant(ctx, runner.TenantSetting{Name: "team-a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CoreV1().ResourceQuotas(ns).Get(ctx, ns+"-compute", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("unlimited quota still there: %v", err)
	}
	if err := r.RemoveTenant(ctx, "team-a"); err != nil {
		t.Fatal(err)
	}
	got2, err := e.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err == nil && got2.DeletionTimestamp == nil {
		t.Errorf("namespace %s not being deleted", ns)
	}
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
)

// kubeEnv is a server whose jobs run on the test control plane: its own
// namespaces and its own pool of kwok GPU nodes, so that servers of other
// tests sharing the control plane never touch them.
type kubeEnv struct {
	jobEnv
	kc    kubernetes.Interface
	ns    string   // the sandbox tenant's namespace
	nodes []string // the pool's nodes, 8 GPUs each
}

func newKubeEnv(t *testing.T, engine string) kubeEnv {
	t.Helper()
	rc := kubetest.Config(t) // skips without a control plane
	kc := kubetest.Client(t, rc)
	prefix := kubetest.NamespacePrefix(t, kc)
	pool := kubetest.Unique("pool")
	nodes := kubetest.AddGPUNodes(t, kc, kubetest.Unique("api"), 2, 8, map[string]string{kubetest.PoolLabel: pool})
	kubetest.Untaint(t, kc, nodes) // the server adds no toleration for kwok's taint
	e := newEnvWith(t, engine, "dir", func(c *config.Config) {
		c.Runner, c.Kubeconfig = "kubernetes", os.Getenv("KQI_TEST_KUBECONFIG")
		c.KubeNSPrefix, c.KubeNodeSel = prefix, kubetest.PoolLabel+"="+pool
		c.KubeHelperImage = "registry.example.test/kamonohashi:test"
		c.KubeNFSServer, c.KubeNFSPath = "nfs.example.test", "/exports/kamonohashi"
	})
	return kubeEnv{jobEnv: setupJobs(t, e, map[string]string{"train.py": "print('hi')"}), kc: kc, ns: prefix + "sandbox",
		nodes: nodes}
}

// job is the batch Job of training id, once the runner has made it.
func (e kubeEnv) job(t *testing.T, id int64) *batchv1.Job {
	t.Helper()
	var j *batchv1.Job
	kubetest.Eventually(t, 30*time.Second, fmt.Sprintf("Job of training %d", id), func(ctx context.Context) (bool, error) {
		var err error
		j, err = e.kc.BatchV1().Jobs(e.ns).Get(ctx, fmt.Sprintf("training-%d", id), metav1.GetOptions{})
		return err == nil, nil
	})
	return j
}

// boundTo is the node the job's pod was bound to.
func (e kubeEnv) boundTo(t *testing.T, id int64) string {
	t.Helper()
	var node string
	kubetest.Eventually(t, 30*time.Second, fmt.Sprintf("pod of training %d bound", id), func(ctx context.Context) (bool, error) {
		pods, err := e.kc.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelKey + "=" + fmt.Sprintf("training-%d", id)})
		if err != nil || len(pods.Items) == 0 {
			return false, nil
		}
		node = pods.Items[0].Spec.NodeName
		return node != "", nil
	})
	return node
}

// nodeID is the registered node's id in the API.
func (e kubeEnv) nodeID(t *testing.T, name string) int64 {
	t.Helper()
	var ns []nodeView
	e.admin.Do(t, "GET", "/api/v2/admin/nodes", nil).want(t, http.StatusOK).decode(t, &ns)
	for _, n := range ns {
		if n.Name == name {
			return n.ID
		}
	}
	t.Fatalf("node %s is not registered; nodes: %+v", name, ns)
	return 0
}

// TestTrainingOnKubernetes: a training submitted through the API becomes a
// Job with the tenant's affinity, the limits, the GPU and the storage
// mounts, is scheduled onto a kwok GPU node and ends Completed; quota,
// partition and node access set through the API reach the cluster's
// objects and routing.
func TestTrainingOnKubernetes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newKubeEnv(t, e0.engine)
		in := makeRun("on-kube", e.dataset, "python train.py")
		in.CPU, in.Memory, in.GPU = 2, 3, 1
		var out jobOut
		e.admin.Do(t, "POST", "/api/v2/training/run", in).want(t, http.StatusCreated).decode(t, &out)

		j := e.job(t, out.ID)
		pod := j.Spec.Template.Spec
		main := pod.Containers[slices.IndexFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == "main" })]
		if got := main.Resources.Limits; got.Cpu().String() != "2" || got.Memory().String() != "3Gi" ||
			got.Name("nvidia.com/gpu", "").String() != "1" {
			t.Errorf("main's limits = %v, want cpu 2, memory 3Gi, nvidia.com/gpu 1", got)
		}
		if main.Image != "python:3.12" {
			t.Errorf("main's image = %q, want the run's python:3.12", main.Image)
		}
		terms := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		for _, term := range terms {
			keys := []string{}
			for _, r := range term.MatchExpressions {
				keys = append(keys, r.Key)
			}
			if !slices.Contains(keys, kubetest.PoolLabel) ||
				!(slices.Contains(keys, kube.TenantLabelPrefix+"sandbox") || slices.Contains(keys, kube.LabelAccess)) {
				t.Errorf("affinity term %v lacks the node pool or the tenant's access", keys)
			}
		}
		var nfs *corev1.NFSVolumeSource
		for _, v := range pod.Volumes {
			if v.NFS != nil {
				nfs = v.NFS
			}
		}
		if nfs == nil || nfs.Server != "nfs.example.test" || nfs.Path != "/exports/kamonohashi/sandbox" {
			t.Errorf("storage volume = %+v, want the tenant's directory of the NFS export", nfs)
		}
		if len(pod.InitContainers) != 2 || pod.InitContainers[0].Image != "registry.example.test/kamonohashi:test" {
			t.Errorf("init containers = %d, first image %q; want prepare and the finish sidecar from the helper image",
				len(pod.InitContainers), pod.InitContainers[0].Image)
		}
		if node := e.boundTo(t, out.ID); !slices.Contains(e.nodes, node) {
			t.Errorf("bound to %q, want one of the pool's GPU nodes %v", node, e.nodes)
		}
		e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", out.ID), "Completed")

		// Quota: mirrored to a ResourceQuota, enforced on submit.
		e.admin.Do(t, "POST", "/api/v2/admin/quotas", []quotaIn{{TenantID: sandboxID, CPU: 8, GPU: 1}}).want(t, http.StatusOK)
		kubetest.Eventually(t, 30*time.Second, "ResourceQuota of the tenant", func(ctx context.Context) (bool, error) {
			qs, err := e.kc.CoreV1().ResourceQuotas(e.ns).List(ctx, metav1.ListOptions{})
			if err != nil || len(qs.Items) != 1 {
				return false, nil
			}
			h := qs.Items[0].Spec.Hard
			_, memory := h[corev1.ResourceLimitsMemory]
			return h.Name(corev1.ResourceLimitsCPU, "").String() == "8" && !memory &&
				h.Name("requests.nvidia.com/gpu", "").String() == "1", nil
		})
		over := makeRun("over", e.dataset, "python train.py")
		over.GPU = 2
		if p := e.admin.Do(t, "POST", "/api/v2/training/run", over).wantProblem(t, http.StatusBadRequest); !strings.Contains(p.Title, "quota") {
			t.Errorf("a run over quota: %q, want a quota refusal", p.Title)
		}
		e.admin.Do(t, "POST", "/api/v2/admin/quotas", []quotaIn{{TenantID: sandboxID}}).want(t, http.StatusOK)

		// Partition: the label appears on the node, and a run in the
		// partition lands only there.
		fast, other := e.nodes[0], e.nodes[1]
		e.admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/nodes/%d", e.nodeID(t, fast)), makeNode(fast, accessPublic).partition("fast")).
			want(t, http.StatusOK)
		kubetest.Eventually(t, 30*time.Second, "partition label on "+fast, func(ctx context.Context) (bool, error) {
			n, err := e.kc.CoreV1().Nodes().Get(ctx, fast, metav1.GetOptions{})
			return err == nil && n.Labels[kube.LabelPartition] == "fast", nil
		})
		for i := range 3 {
			in := makeRun(fmt.Sprintf("fast-%d", i), e.dataset, "python train.py")
			in.GPU, in.Partition = 1, "fast"
			e.admin.Do(t, "POST", "/api/v2/training/run", in).want(t, http.StatusCreated).decode(t, &out)
			if node := e.boundTo(t, out.ID); node != fast {
				t.Errorf("a run in partition fast was bound to %s, want %s", node, fast)
			}
		}
		nowhere := makeRun("nowhere", e.dataset, "python train.py")
		nowhere.Partition = "slow"
		e.admin.Do(t, "POST", "/api/v2/training/run", nowhere).wantProblem(t, http.StatusBadRequest)

		// Access: a Private node without the tenant loses the labels that
		// let the tenant's jobs on.
		e.admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/nodes/%d", e.nodeID(t, other)), makeNode(other, accessPrivate)).
			want(t, http.StatusOK)
		kubetest.Eventually(t, 30*time.Second, "access labels gone from "+other, func(ctx context.Context) (bool, error) {
			n, err := e.kc.CoreV1().Nodes().Get(ctx, other, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			_, public := n.Labels[kube.LabelAccess]
			_, tenant := n.Labels[kube.TenantLabelPrefix+"sandbox"]
			return !public && !tenant, nil
		})
	})
}

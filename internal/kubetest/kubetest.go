// Package kubetest connects tests to the throw-away control plane of
// scripts/test-kube.sh and gives each test its own names and fake GPU
// nodes. It is imported by tests only.
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The variables that point tests at a control plane.
const (
	KubeconfigEnv  = "KQI_TEST_KUBECONFIG"   // the kubeconfig test-kube.sh start printed
	RequireKubeEnv = "KQI_TEST_REQUIRE_KUBE" // "1": fail instead of skipping without one
)

// Config is the admin configuration of the test control plane. Without
// one the test is skipped, or fails when KQI_TEST_REQUIRE_KUBE=1.
func Config(t testing.TB) *rest.Config {
	t.Helper()
	path := os.Getenv(KubeconfigEnv)
	if path == "" {
		if os.Getenv(RequireKubeEnv) == "1" {
			t.Fatalf("%s is not set; start a control plane with scripts/test-kube.sh start", KubeconfigEnv)
		}
		t.Skipf("no Kubernetes control plane: set %s (scripts/test-kube.sh start prints it)", KubeconfigEnv)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", path, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	return cfg
}

// Client is a clientset for cfg.
func Client(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Unique is a name no other test (of this run or another) takes: prefix
// and a random suffix, a valid DNS label.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToLower(prefix) + hex.EncodeToString(b)
}

// NamespacePrefix is a namespace prefix of the test's own: the runner
// under test sees only namespaces starting with it. Namespaces with it
// are deleted at cleanup.
func NamespacePrefix(t testing.TB, c kubernetes.Interface) string {
	t.Helper()
	prefix := Unique("t") + "-"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		for _, ns := range nss.Items {
			if strings.HasPrefix(ns.Name, prefix) {
				_ = c.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
			}
		}
	})
	return prefix
}

// PoolLabel on a test's nodes names the test's own pool; a runner whose
// node selector is PoolLabel=<pool> sees and labels only those nodes.
const PoolLabel = "kqi.test/pool"

// KwokToleration lets pods onto kwok's nodes.
var KwokToleration = corev1.Toleration{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpEqual, Value: "fake",
	Effect: corev1.TaintEffectNoSchedule}

// AddGPUNodes creates n kwok nodes named <prefix>-0.. with gpus GPUs, 32
// cores and 256 GiB each, waits until they are Ready and deletes them at
// cleanup. labels are added to each.
func AddGPUNodes(t testing.TB, c kubernetes.Interface, prefix string, n, gpus int, labels map[string]string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var names []string
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		lbl := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok"}
		for k, v := range labels {
			lbl[k] = v
		}
		res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods: resource.MustParse("110"), "nvidia.com/gpu": *resource.NewQuantity(int64(gpus), resource.DecimalSI)}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl, Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
			Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: KwokToleration.Key, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
			Status:     corev1.NodeStatus{Allocatable: res, Capacity: res},
		}
		if _, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create node %s: %v", name, err)
		}
		names = append(names, name)
	}
	t.Cleanup(func() {
		for _, name := range names {
			err := c.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete node %s: %v", name, err)
			}
		}
	})
	for _, name := range names {
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			node, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, cd := range node.Status.Conditions {
				if cd.Type == corev1.NodeReady && cd.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("node %s did not become Ready (is kwok running?): %v", name, err)
		}
	}
	return names
}

// Untaint removes the kwok taint from nodes, for runners (like the
// server's) that add no toleration for it.
func Untaint(t testing.TB, c kubernetes.Interface, names []string) {
	t.Helper()
	patch := []byte(`{"spec":{"taints":null}}`)
	for _, name := range names {
		if _, err := c.CoreV1().Nodes().Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatalf("untaint node %s: %v", name, err)
		}
	}
}

// LockClusterScoped holds, until the test ends, the right to create and
// delete the chart's cluster-scoped objects (its ClusterRoles and their
// binding have fixed names) on this control plane. Tests of different
// packages run at the same time; without it one package's clean-up would
// delete the roles another's test relies on.
func LockClusterScoped(t testing.TB) {
	t.Helper()
	sum := sha256.Sum256([]byte(os.Getenv(KubeconfigEnv)))
	path := filepath.Join(os.TempDir(), "kqi-kubetest-"+hex.EncodeToString(sum[:8])+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

// Eventually polls cond until it holds, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, cond)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

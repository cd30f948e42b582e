// Command kubesubmit measures the Kubernetes runner's Submit → pod bound
// on a control plane with kwok nodes, against a bare Pod created with
// client-go → bound, in the same run. Bounded in runs and time.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

func main() {
	kc := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the test control plane")
	runs := flag.Int("runs", 30, "jobs per side")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, *kc, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "kubesubmit:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kc string, runs int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	prefix := kubetest.Unique("bench") + "-"
	tenant := "bench"
	ns := prefix + tenant
	nodePrefix := kubetest.Unique("kb")
	if err := addNodes(ctx, c, nodePrefix, tenant); err != nil {
		return err
	}
	defer cleanup(c, ns, nodePrefix)
	r, err := kube.New(ctx, cfg, kube.Options{NamespacePrefix: prefix, HelperImage: "bench/helper:1",
		Tolerations: []corev1.Toleration{kubetest.KwokToleration}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.ApplyTenant(ctx, runner.TenantSetting{Name: tenant}); err != nil {
		return err
	}
	var submit, bare []time.Duration
	for i := range runs {
		id := int64(i + 1)
		d, err := timeBound(ctx, c, ns, "training-"+strconv.FormatInt(id, 10), func() error {
			return r.Submit(ctx, spec(tenant, id))
		})
		if err != nil {
			return err
		}
		submit = append(submit, d)
		name := "bare-" + strconv.Itoa(i)
		d, err = timeBound(ctx, c, ns, name, func() error {
			_, err := c.CoreV1().Pods(ns).Create(ctx, barePod(name, tenant), metav1.CreateOptions{})
			return err
		})
		if err != nil {
			return err
		}
		bare = append(bare, d)
	}
	fmt.Printf("kubesubmit: %d runs, Submit → pod bound (PodScheduled=True), kwok GPU nodes on loopback\n", runs)
	fmt.Printf("  runner Submit (Secrets + Job → job controller → pod → scheduler): median %v  p95 %v\n", pct(submit, 50), pct(submit, 95))
	fmt.Printf("  baseline: bare Pod created with client-go → scheduler:             median %v  p95 %v\n", pct(bare, 50), pct(bare, 95))
	fmt.Printf("  ratio (median): %.2f\n", float64(pct(submit, 50))/float64(pct(bare, 50)))
	return nil
}

// timeBound runs create and waits until a pod whose name starts with name
// (the Job's pod, or the bare pod) is bound.
func timeBound(ctx context.Context, c kubernetes.Interface, ns, name string, create func() error) (time.Duration, error) {
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	start := time.Now()
	if err := create(); err != nil {
		return 0, err
	}
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == watch.Deleted || (p.Name != name && p.Labels[kube.LabelKey] != name) {
			continue
		}
		for _, cd := range p.Status.Conditions {
			if cd.Type == corev1.PodScheduled && cd.Status == corev1.ConditionTrue {
				return time.Since(start), nil
			}
		}
	}
	return 0, fmt.Errorf("%s: the watch ended before the pod was bound: %v", name, ctx.Err())
}

func spec(tenant string, id int64) runner.Spec {
	sid := strconv.FormatInt(id, 10)
	k := func(t storage.ResourceType) storage.Key { return storage.Key{Tenant: tenant, Type: t, Path: sid} }
	return runner.Spec{Key: "training-" + sid, Tenant: tenant, Kind: runner.Training, ID: id, Image: "bench/user:1",
		Command: "true", Env: map[string]string{"KQI_TOKEN": "t"}, Resources: runner.Resources{CPU: 1, MemoryGB: 1, GPU: 1},
		Output: k(storage.TrainingContainerOutputFiles), Attach: k(storage.TrainingContainerAttachedFiles), LogName: "log"}
}

func barePod(name, tenant string) *corev1.Pod {
	q := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi"),
		"nvidia.com/gpu": resource.MustParse("1")}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever, Tolerations: []corev1.Toleration{kubetest.KwokToleration},
		NodeSelector: map[string]string{kube.TenantLabelPrefix + tenant: "true"},
		Containers:   []corev1.Container{{Name: "main", Image: "bench/user:1", Resources: corev1.ResourceRequirements{Limits: q, Requests: q}}}}}
}

func addNodes(ctx context.Context, c kubernetes.Interface, prefix, tenant string) error {
	for i := range 4 {
		name := prefix + "-" + strconv.Itoa(i)
		res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("256"), corev1.ResourceMemory: resource.MustParse("2Ti"),
			corev1.ResourcePods: resource.MustParse("500"), "nvidia.com/gpu": resource.MustParse("64")}
		_, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
				Labels: map[string]string{"type": "kwok", kube.TenantLabelPrefix + tenant: "true"}},
			Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: "kwok.x-k8s.io/node", Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{Allocatable: res, Capacity: res}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
	}
	// Ready before measuring.
	w, err := c.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{FieldSelector: fields.Everything().String()})
	if err != nil {
		return err
	}
	defer w.Stop()
	ready := map[string]bool{}
	for ev := range w.ResultChan() {
		n, ok := ev.Object.(*corev1.Node)
		if !ok || len(n.Name) <= len(prefix) || n.Name[:len(prefix)] != prefix {
			continue
		}
		for _, cd := range n.Status.Conditions {
			if cd.Type == corev1.NodeReady && cd.Status == corev1.ConditionTrue {
				ready[n.Name] = true
			}
		}
		if len(ready) == 4 {
			return nil
		}
	}
	return fmt.Errorf("nodes did not become ready: %v", ctx.Err())
}

func cleanup(c kubernetes.Interface, ns, nodePrefix string) {
	ctx := context.Background()
	_ = c.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	for i := range 4 {
		_ = c.CoreV1().Nodes().Delete(ctx, nodePrefix+"-"+strconv.Itoa(i), metav1.DeleteOptions{})
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(time.Millisecond)
}

// Command kubeapi measures the Kubernetes runner through the API of a real
// server: N one-GPU trainings submitted by C concurrent clients to
// POST /training/run (jobs per second), then, watching the cluster, how long
// until every job that fits is Running and what share of the nodes' GPUs
// running pods hold. The baseline, in the same run, is what the runner
// sends per run — a Job and its Secret — created with client-go directly,
// as many and with the same concurrency, in a namespace of its own, the
// Jobs suspended (no pods: the cluster's own work after a create is not
// in the request either way).
//
//	go run ./bench/kubeapi -server http://127.0.0.1:18933 -password … -kubeconfig …
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamonohashi-go/kamonohashi/bench/internal/benchkit"
)

func main() {
	server := flag.String("server", "", "server URL")
	password := flag.String("password", "", "admin password")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "the test cluster")
	jobs := flag.Int("jobs", 1000, "one-GPU trainings to submit")
	clients := flag.Int("clients", 64, "concurrent API clients")
	nodePrefix := flag.String("nodes", "bench-gpu-", "name prefix of the GPU nodes counted")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, &benchkit.API{Base: *server}, *password, *kubeconfig, *jobs, *clients, *nodePrefix); err != nil {
		fmt.Fprintln(os.Stderr, "kubeapi:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, a *benchkit.API, password, kubeconfig string, jobs, clients int, prefix string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	gpus, err := clusterGPUs(ctx, kc, prefix)
	if err != nil {
		return err
	}
	if err := a.Login(password); err != nil {
		return err
	}
	tr, err := benchkit.SetupTraining(a)
	if err != nil {
		return err
	}
	defer tr.Close()

	base, err := baseline(ctx, kc, jobs, clients)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}

	t0 := time.Now()
	errs := parallel(jobs, clients, func(int) error {
		return a.Call("POST", "/api/v2/training/run", tr.Run("true", 1, 1, 1), nil)
	})
	submit := time.Since(t0)
	if errs > 0 {
		return fmt.Errorf("%d of %d submissions failed", errs, jobs)
	}
	want := min(jobs, gpus)
	running, used, err := waitRunning(ctx, kc, "app.kubernetes.io/managed-by=kamonohashi", want)
	allRunning := time.Since(t0)
	if err != nil {
		return fmt.Errorf("%d of %d jobs Running after %s: %w", running, want, allRunning.Round(time.Millisecond), err)
	}
	rate := float64(jobs) / submit.Seconds()
	fmt.Printf("%d one-GPU trainings, %d clients, nodes %s* with %d GPUs in all:\n", jobs, clients, prefix, gpus)
	fmt.Printf("  baseline: Job + Secret with client-go       %7.1f runs/s\n", base)
	fmt.Printf("  POST /training/run                          %7.1f jobs/s  (%.2fx the baseline; target >= 100 jobs/s)\n", rate, rate/base)
	fmt.Printf("  submit start -> %d jobs Running             %7.1f s\n", running, allRunning.Seconds())
	fmt.Printf("  GPU allocation: %d of %d GPUs held by Running jobs = %.1f%% (target: every admitted GPU in use)\n",
		used, gpus, 100*float64(used)/float64(gpus))
	return nil
}

// parallel calls fn n times from c goroutines and counts the failures,
// printing the first.
func parallel(n, c int, fn func(i int) error) int {
	var next, failed atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					failed.Add(1)
					once.Do(func() { fmt.Fprintln(os.Stderr, "kubeapi: first failure:", err) })
				}
			}
		})
	}
	wg.Wait()
	return int(failed.Load())
}

func clusterGPUs(ctx context.Context, kc kubernetes.Interface, prefix string) (int, error) {
	nodes, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range nodes.Items {
		if len(n.Name) >= len(prefix) && n.Name[:len(prefix)] == prefix {
			q := n.Status.Allocatable[corev1.ResourceName("nvidia.com/gpu")]
			total += int(q.Value())
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("no node named %s* has GPUs", prefix)
	}
	return total, nil
}

// baseline creates n Jobs, each with a Secret owned by it, with client-go
// and returns runs per second, then deletes the namespace and waits until
// it is gone.
func baseline(ctx context.Context, kc kubernetes.Interface, n, c int) (float64, error) {
	ns := fmt.Sprintf("kqi-bench-baseline-%d", time.Now().UnixNano())
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil {
		return 0, err
	}
	defer func() {
		// Gone before the measured run starts.
		_ = kc.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		for ctx.Err() == nil {
			if _, err := kc.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	never, suspend := int32(0), true
	t0 := time.Now()
	failed := parallel(n, c, func(i int) error {
		name := fmt.Sprintf("run-%d", i)
		j, err := kc.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: batchv1.JobSpec{BackoffLimit: &never, Suspend: &suspend, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever, NodeSelector: map[string]string{"kqi.bench/none": "true"},
				Containers: []corev1.Container{{Name: "main", Image: "busybox",
					Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse("1"), "nvidia.com/gpu": resource.MustParse("1")}}}}}}},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		_, err = kc.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: name, UID: j.UID}}},
			StringData: map[string]string{"job.json": "{}"}}, metav1.CreateOptions{})
		return err
	})
	if failed > 0 {
		return 0, fmt.Errorf("%d runs failed", failed)
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// waitRunning polls the pods of our jobs until want of them are Running and
// returns how many are and the GPUs they hold.
func waitRunning(ctx context.Context, kc kubernetes.Interface, selector string, want int) (int, int, error) {
	for {
		pods, err := kc.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return 0, 0, err
		}
		running, gpus := 0, 0
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning {
				continue
			}
			running++
			for _, c := range p.Spec.Containers {
				q := c.Resources.Limits[corev1.ResourceName("nvidia.com/gpu")]
				gpus += int(q.Value())
			}
		}
		if running >= want {
			return running, gpus, nil
		}
		select {
		case <-ctx.Done():
			return running, gpus, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

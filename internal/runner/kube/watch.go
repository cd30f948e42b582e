package kube

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// byJob indexes our pods by "<namespace>/<key>".
const byJob = "job"

// startInformers starts one cluster-wide informer each for our Jobs, all
// pods (ours in full, others reduced to what node allocations need) and
// nodes, and waits for their caches.
func (r *Runner) startInformers(ctx context.Context) error {
	r.factory = informers.NewSharedInformerFactoryWithOptions(r.client, r.opt.Resync)
	ours := informers.NewSharedInformerFactoryWithOptions(r.client, r.opt.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = LabelManagedBy + "=" + ManagedBy }))
	jobInf := ours.Batch().V1().Jobs().Informer()
	podInf := r.factory.Core().V1().Pods().Informer()
	// Nodes come from their own factory: NodeSelector may narrow them to
	// the part of the cluster this server manages.
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(r.client, r.opt.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = r.opt.NodeSelector }))
	nodeInf := nodeFactory.Core().V1().Nodes().Informer()
	_ = podInf.SetTransform(slimPod)
	if err := podInf.AddIndexers(cache.Indexers{byJob: func(obj any) ([]string, error) {
		p, ok := obj.(*corev1.Pod)
		if !ok || p.Labels[LabelManagedBy] != ManagedBy || p.Labels[LabelKey] == "" {
			return nil, nil
		}
		return []string{p.Namespace + "/" + p.Labels[LabelKey]}, nil
	}}); err != nil {
		return err
	}
	r.jobs = ours.Batch().V1().Jobs().Lister()
	r.pods = r.factory.Core().V1().Pods().Lister()
	r.nodes = nodeFactory.Core().V1().Nodes().Lister()
	r.podIdx = podInf.GetIndexer()

	_, _ = jobInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.jobChanged(obj) },
		UpdateFunc: func(_, obj any) { r.jobChanged(obj) },
		DeleteFunc: r.jobDeleted,
	})
	_, _ = podInf.AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj any) bool {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			p, ok := obj.(*corev1.Pod)
			return ok && p.Labels[LabelManagedBy] == ManagedBy && strings.HasPrefix(p.Namespace, r.opt.NamespacePrefix)
		},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    r.podChanged,
			UpdateFunc: func(_, obj any) { r.podChanged(obj) },
			DeleteFunc: r.podChanged,
		},
	})

	run, stop := context.WithCancel(context.Background())
	r.stop, r.done = stop, run.Done()
	r.factory.Start(run.Done())
	ours.Start(run.Done())
	nodeFactory.Start(run.Done())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		<-run.Done()
		r.factory.Shutdown()
		ours.Shutdown()
		nodeFactory.Shutdown()
	}()
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(wait.Done(), jobInf.HasSynced, podInf.HasSynced, nodeInf.HasSynced) {
		r.Close()
		return errNoCache
	}
	r.resyncAll()
	return nil
}

// slimPod keeps other workloads' pods to what node allocations need.
func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	p.ManagedFields = nil
	if p.Labels[LabelManagedBy] == ManagedBy {
		return p, nil
	}
	slim := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID,
		ResourceVersion: p.ResourceVersion, Labels: p.Labels},
		Spec:   corev1.PodSpec{NodeName: p.Spec.NodeName},
		Status: corev1.PodStatus{Phase: p.Status.Phase}}
	for _, c := range p.Spec.Containers {
		slim.Spec.Containers = append(slim.Spec.Containers, corev1.Container{Name: c.Name, Resources: c.Resources})
	}
	return slim, nil
}

func (r *Runner) ours(ns string) bool { return strings.HasPrefix(ns, r.opt.NamespacePrefix) }

func (r *Runner) jobChanged(obj any) {
	if j, ok := obj.(*batchv1.Job); ok && r.ours(j.Namespace) {
		r.refresh(j)
	}
}

func (r *Runner) podChanged(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if j, err := r.jobs.Jobs(p.Namespace).Get(p.Labels[LabelKey]); err == nil {
		r.refresh(j)
	}
}

// jobDeleted reports a Job that went away before it ended (someone
// deleted it, or the namespace went) as failed, and forgets it.
func (r *Runner) jobDeleted(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	j, ok := obj.(*batchv1.Job)
	if !ok || !r.ours(j.Namespace) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	last, known := r.statuses[j.Name]
	delete(r.statuses, j.Name)
	if known && !last.Phase.Terminal() {
		last.Phase, last.Finished = runner.Failed, r.now()
		last.Reason = "the job's Kubernetes Job was deleted before the job ended"
		r.publish(last)
	}
}

// podsOf lists a Job's pods from the cache.
func (r *Runner) podsOf(j *batchv1.Job) []*corev1.Pod {
	objs, _ := r.podIdx.ByIndex(byJob, j.Namespace+"/"+j.Name)
	out := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok && ownedBy(p, j.UID) {
			out = append(out, p)
		}
	}
	return out
}

func ownedBy(p *corev1.Pod, uid types.UID) bool {
	for _, o := range p.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

// refresh recomputes a Job's status, publishes it when it changed and
// gives up on a job that can never start.
func (r *Runner) refresh(j *batchv1.Job) {
	v := statusOf(j, r.podsOf(j), r.opt.ImagePullTimeout, r.now())
	if v.giveUp != "" {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := r.suspend(context.Background(), j.Namespace, j.Name, AnnotationFailed, v.giveUp); err != nil {
				r.log.Warn("give up on job", "job", j.Name, "error", err)
			}
		}()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	last, known := r.statuses[j.Name]
	if known && last.Phase.Terminal() {
		return // a terminal status is final; later events only repeat it
	}
	if known && same(last, v.Status) {
		return
	}
	r.statuses[j.Name] = v.Status
	r.publish(v.Status)
}

// same reports whether two statuses say the same to the job service.
func same(a, b runner.Status) bool {
	return a.Phase == b.Phase && a.Reason == b.Reason && a.Node == b.Node && a.Started.Equal(b.Started) &&
		(a.ExitCode == nil) == (b.ExitCode == nil) && (a.ExitCode == nil || *a.ExitCode == *b.ExitCode)
}

// resyncAll recomputes every Job in the cache: at start and whenever the
// caches are resynced, so that nothing depends on a single event.
func (r *Runner) resyncAll() {
	js, _ := r.jobs.List(labels.Everything())
	for _, j := range js {
		if r.ours(j.Namespace) {
			r.refresh(j)
		}
	}
}

// suspend marks a Job with an annotation and suspends it, which removes
// its pods and keeps the record.
func (r *Runner) suspend(ctx context.Context, ns, name, annotation, value string) error {
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{annotation: value}},
		"spec":     map[string]any{"suspend": true},
	})
	_, err := r.client.BatchV1().Jobs(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("suspend job %s/%s: %w", ns, name, err)
	}
	return nil
}

// watcher holds the statuses not yet taken by one Watch caller, without a
// bound, so that a slow reader never loses a terminal status.
type watcher struct {
	mu    sync.Mutex
	queue []runner.Status
	ready chan struct{} // capacity 1: something was queued
}

// publish queues a status for every watcher. r.mu is held.
func (r *Runner) publish(st runner.Status) {
	for w := range r.watchers {
		w.mu.Lock()
		w.queue = append(w.queue, st)
		w.mu.Unlock()
		select {
		case w.ready <- struct{}{}:
		default:
		}
	}
}

// Watch sends the status of every job in the cluster (oldest first), then
// every change, until ctx ends or the runner closes.
func (r *Runner) Watch(ctx context.Context) (<-chan runner.Status, error) {
	w := &watcher{ready: make(chan struct{}, 1)}
	r.mu.Lock()
	for _, st := range r.snapshot() {
		w.queue = append(w.queue, st)
	}
	w.ready <- struct{}{}
	r.watchers[w] = struct{}{}
	r.mu.Unlock()
	out := make(chan runner.Status)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.watchers, w)
			r.mu.Unlock()
		}()
		done := ctx.Done()
		for {
			select {
			case <-w.ready:
			case <-done:
				return
			case <-r.done:
				return
			}
			w.mu.Lock()
			batch := w.queue
			w.queue = nil
			w.mu.Unlock()
			for _, st := range batch {
				select {
				case out <- st:
				case <-done:
					return
				case <-r.done:
					return
				}
			}
		}
	}()
	return out, nil
}

// snapshot is every known status, by the Jobs' creation. r.mu is held.
func (r *Runner) snapshot() []runner.Status {
	js, _ := r.jobs.List(labels.Everything())
	slices.SortFunc(js, func(a, b *batchv1.Job) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), strings.Compare(a.Name, b.Name))
	})
	out := make([]runner.Status, 0, len(js))
	for _, j := range js {
		if st, ok := r.statuses[j.Name]; ok && r.ours(j.Namespace) {
			out = append(out, st)
		}
	}
	return out
}

// Status is a job's current state from the caches.
func (r *Runner) Status(_ context.Context, key string) (runner.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.statuses[key]
	if !ok {
		return runner.Status{}, fmt.Errorf("kubernetes runner: job %s: %w", key, runner.ErrNotFound)
	}
	return st, nil
}

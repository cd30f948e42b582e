package kube

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Submit creates the run's Job, then its Secrets owned by the Job, so that
// deleting the Job deletes them: two requests a run, where creating the
// Secrets first would need a third to make the Job their owner. The pod
// waits for the spec Secret's volume (the kubelet retries the mount), and
// the Secrets exist long before an image is pulled. A job that no node can
// take now is queued, not refused: nodes come and go on a cluster, and the
// status says what the scheduler answered.
func (r *Runner) Submit(ctx context.Context, s runner.Spec) error {
	o, err := r.render(s)
	if err != nil {
		return fmt.Errorf("kubernetes runner: %w", err)
	}
	ns := o.job.Namespace
	var job *batchv1.Job
	err = r.retryForbidden(ctx, func() error {
		var err error
		job, err = r.client.BatchV1().Jobs(ns).Create(ctx, o.job, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return r.submitError(s, err)
	}
	owner := []metav1.OwnerReference{{APIVersion: batchv1.SchemeGroupVersion.String(), Kind: "Job",
		Name: job.Name, UID: job.UID, Controller: ptr(true)}}
	secrets := []*corev1.Secret{o.secret}
	if o.pull != nil {
		secrets = append(secrets, o.pull)
	}
	for _, sec := range secrets {
		sec.OwnerReferences = owner
		if _, err := r.client.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			bg := metav1.DeletePropagationBackground
			_ = r.client.BatchV1().Jobs(ns).Delete(context.WithoutCancel(ctx), job.Name,
				metav1.DeleteOptions{PropagationPolicy: &bg})
			return r.submitError(s, err)
		}
	}
	return nil
}

func (r *Runner) submitError(s runner.Spec, err error) error {
	switch {
	case apierrors.IsAlreadyExists(err):
		return fmt.Errorf("kubernetes runner: job %s: %w", s.Key, runner.ErrExists)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("kubernetes runner: job %s: namespace %s of tenant %s does not exist; apply the tenant first: %w",
			s.Key, r.namespace(s.Tenant), s.Tenant, err)
	}
	return fmt.Errorf("kubernetes runner: submit job %s: %w", s.Key, err)
}

// retryForbidden retries fn for a few seconds while it is forbidden: a
// tenant's role binding, just created, takes a moment to be authorised.
func (r *Runner) retryForbidden(ctx context.Context, fn func() error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		last = fn()
		if apierrors.IsForbidden(last) {
			return false, nil
		}
		return true, last
	})
	if wait.Interrupted(err) {
		return last
	}
	return err
}

// selectorFor selects the objects of run key.
func selectorFor(key string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelKey: key})
}

// job finds a Job of ours by key in the cache.
func (r *Runner) job(key string) (*batchv1.Job, error) {
	r.mu.Lock()
	_, known := r.statuses[key]
	r.mu.Unlock()
	if known {
		objs, _ := r.jobs.List(selectorFor(key))
		for _, j := range objs {
			if r.ours(j.Namespace) {
				return j, nil
			}
		}
	}
	return nil, fmt.Errorf("kubernetes runner: job %s: %w", key, runner.ErrNotFound)
}

// Cancel suspends the Job, which removes its pod, and marks it canceled,
// so that its status stays Canceled across restarts. An ended job is left
// as it is.
func (r *Runner) Cancel(ctx context.Context, key string) error {
	j, err := r.job(key)
	if err != nil {
		return err
	}
	if st, err := r.Status(ctx, key); err == nil && st.Phase.Terminal() {
		return nil
	}
	return r.suspend(ctx, j.Namespace, j.Name, AnnotationCanceled, "true")
}

// Remove deletes the Job; its pods and Secrets go with it.
func (r *Runner) Remove(ctx context.Context, key string) error {
	j, err := r.job(key)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	err = r.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("kubernetes runner: remove job %s: %w", key, err)
	}
	for _, name := range []string{key, key + "-pull"} {
		if err := r.client.CoreV1().Secrets(j.Namespace).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("kubernetes runner: remove secret %s: %w", name, err)
		}
	}
	r.mu.Lock()
	delete(r.statuses, key)
	r.mu.Unlock()
	return nil
}

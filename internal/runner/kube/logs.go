package kube

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Logs streams container main's log through the API server (which asks
// the node's kubelet). The attach directory keeps the same output as a
// file once the job ends.
func (r *Runner) Logs(ctx context.Context, key string, follow bool) (io.ReadCloser, error) {
	j, err := r.job(key)
	if err != nil {
		return nil, err
	}
	pod := newest(r.podsOf(j))
	if pod == nil {
		return nil, fmt.Errorf("kubernetes runner: job %s has no pod (yet, or any more): no log to show", key)
	}
	rc, err := r.client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: mainName, Follow: follow}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: log of job %s from node %s (its kubelet must serve container logs): %w",
			key, cmp.Or(pod.Spec.NodeName, "none yet"), err)
	}
	return rc, nil
}

// Events lists the Kubernetes events of the Job and its pods, oldest
// first; warnings are errors.
func (r *Runner) Events(ctx context.Context, key string) ([]runner.Event, error) {
	j, err := r.job(key)
	if err != nil {
		return nil, err
	}
	list, err := r.client.CoreV1().Events(j.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: events of job %s: %w", key, err)
	}
	var out []runner.Event
	for _, e := range list.Items {
		o := e.InvolvedObject
		if !(o.Kind == "Job" && o.Name == j.Name) && !(o.Kind == "Pod" && strings.HasPrefix(o.Name, j.Name+"-")) {
			continue
		}
		out = append(out, runner.Event{Time: eventTime(e), Error: e.Type != corev1.EventTypeNormal,
			Reason: e.Reason, Message: o.Kind + " " + o.Name + ": " + e.Message})
	}
	slices.SortStableFunc(out, func(a, b runner.Event) int { return a.Time.Compare(b.Time) })
	return out, nil
}

func eventTime(e corev1.Event) time.Time {
	for _, t := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time, e.CreationTimestamp.Time} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

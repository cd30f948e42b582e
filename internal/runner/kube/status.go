package kube

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// verdict is a job's status and, when the runner should give up on it
// (an image that cannot be pulled), why.
type verdict struct {
	runner.Status
	giveUp string
}

// imagePullReasons are the waiting reasons of containers whose image
// cannot be pulled (now or perhaps ever).
var imagePullReasons = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true,
	"InvalidImageName": true, "ErrImageNeverPull": true, "RegistryUnavailable": true}

// statusOf maps a Job and its pods to a status. The Job's record wins:
// the runner's annotations, then its conditions; the newest pod tells
// where a running job is.
func statusOf(j *batchv1.Job, pods []*corev1.Pod, pullTimeout time.Duration, now time.Time) verdict {
	st := runner.Status{Key: j.Name}
	pod := newest(pods)
	if pod != nil {
		st.Node = pod.Spec.NodeName
		if c := containerStatus(pod.Status.ContainerStatuses, mainName); c != nil && c.State.Running != nil {
			st.Started = c.State.Running.StartedAt.Time
		} else if c != nil && c.State.Terminated != nil {
			st.Started = c.State.Terminated.StartedAt.Time
		}
	}
	ended := func(p runner.Phase, reason string, at time.Time) verdict {
		st.Phase, st.Reason, st.Finished = p, reason, at
		if st.Finished.IsZero() {
			st.Finished = now
		}
		return verdict{Status: st}
	}
	if why := j.Annotations[AnnotationFailed]; why != "" {
		return ended(runner.Failed, why, condTime(j, batchv1.JobSuspended))
	}
	if j.Annotations[AnnotationCanceled] == "true" {
		return ended(runner.Canceled, "canceled", condTime(j, batchv1.JobSuspended))
	}
	if c := cond(j, batchv1.JobComplete); c != nil {
		v := ended(runner.Succeeded, "", c.LastTransitionTime.Time)
		v.ExitCode = ptr(0)
		return v
	}
	if c := cond(j, batchv1.JobFailed); c != nil {
		return failed(st, pod, c.Reason+": "+c.Message, c.LastTransitionTime.Time)
	}
	if pod == nil {
		st.Phase, st.Reason = runner.Queued, "waiting for the job controller to create the pod"
		return verdict{Status: st}
	}
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		v := ended(runner.Succeeded, "", now)
		v.ExitCode = ptr(0)
		return v
	case corev1.PodFailed:
		return failed(st, pod, pod.Status.Reason+": "+pod.Status.Message, now)
	}
	return pending(st, pod, pullTimeout, now)
}

// failed explains a failed run from its pod: main's exit code (or the
// memory limit), prepare's error, or a pod that went away.
func failed(st runner.Status, pod *corev1.Pod, jobWhy string, at time.Time) verdict {
	st.Phase, st.Finished = runner.Failed, at
	if pod == nil {
		st.Reason = "the job's pod was deleted or lost before the job ended (" + strings.Trim(jobWhy, ": ") + ")"
		return verdict{Status: st}
	}
	if t := terminated(pod.Status.ContainerStatuses, mainName); t != nil {
		st.ExitCode = ptr(int(t.ExitCode))
		if !t.FinishedAt.IsZero() {
			st.Finished = t.FinishedAt.Time
		}
		switch {
		case t.Reason == "OOMKilled":
			st.Phase, st.Reason = runner.OOMKilled, "the memory limit was reached"
		case t.ExitCode != 0:
			st.Reason = fmt.Sprintf("the command exited with code %d", t.ExitCode)
		default:
			st.Reason = "the job failed after its command succeeded (" + strings.Trim(jobWhy, ": ") + ")"
		}
		return verdict{Status: st}
	}
	if t := terminated(pod.Status.InitContainerStatuses, prepareName); t != nil && t.ExitCode != 0 {
		st.Reason = "prepare failed: " + firstLine(t.Message, t.Reason)
		return verdict{Status: st}
	}
	if pod.DeletionTimestamp != nil {
		st.Reason = "the job's pod was deleted before the job ended"
		return verdict{Status: st}
	}
	st.Reason = "the job failed before its command ran: " + strings.Trim(jobWhy, ": ")
	return verdict{Status: st}
}

// pending places a pod that has not ended: waiting for a node or an
// image, preparing, running.
func pending(st runner.Status, pod *corev1.Pod, pullTimeout time.Duration, now time.Time) verdict {
	sched := podCond(pod, corev1.PodScheduled)
	if pod.Spec.NodeName == "" {
		st.Phase, st.Reason = runner.Queued, "waiting for a node"
		if sched != nil && sched.Status == corev1.ConditionFalse && sched.Message != "" {
			st.Reason = "no node can take the job yet: " + sched.Message
		}
		return verdict{Status: st}
	}
	for _, c := range append(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses...) {
		w := c.State.Waiting
		if w == nil || !imagePullReasons[w.Reason] {
			continue
		}
		st.Phase = runner.Queued
		st.Reason = fmt.Sprintf("image %s cannot be pulled: %s", c.Image, firstLine(w.Message, w.Reason))
		v := verdict{Status: st}
		if w.Reason == "InvalidImageName" || w.Reason == "ErrImageNeverPull" ||
			(sched != nil && now.Sub(sched.LastTransitionTime.Time) > pullTimeout) {
			v.giveUp = st.Reason
		}
		return v
	}
	if c := containerStatus(pod.Status.ContainerStatuses, mainName); c != nil && (c.State.Running != nil || c.State.Terminated != nil) {
		st.Phase = runner.Running
		return verdict{Status: st}
	}
	st.Phase, st.Reason = runner.Preparing, ""
	return verdict{Status: st}
}

func firstLine(msg, fallback string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return fallback
	}
	lines := strings.Split(msg, "\n")
	return strings.TrimSpace(lines[len(lines)-1]) // FallbackToLogsOnError: the error is last
}

// newest is the pod created last (a Job of ours has at most one).
func newest(pods []*corev1.Pod) *corev1.Pod {
	var out *corev1.Pod
	for _, p := range pods {
		if out == nil || out.CreationTimestamp.Before(&p.CreationTimestamp) {
			out = p
		}
	}
	return out
}

func cond(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if c := &j.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

func condTime(j *batchv1.Job, t batchv1.JobConditionType) time.Time {
	if c := cond(j, t); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func podCond(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func containerStatus(cs []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func terminated(cs []corev1.ContainerStatus, name string) *corev1.ContainerStateTerminated {
	if c := containerStatus(cs, name); c != nil {
		if c.State.Terminated != nil {
			return c.State.Terminated
		}
		return c.LastTerminationState.Terminated
	}
	return nil
}

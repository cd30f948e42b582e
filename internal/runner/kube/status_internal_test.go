package kube

import (
	"cmp"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// The states kwok cannot play (an image that cannot be pulled, the memory
// limit, a command's exit code) are mapped from objects built here.
func TestStatusOf(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	job := func(mods ...func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "training-1", Annotations: map[string]string{}}}
		for _, m := range mods {
			m(j)
		}
		return j
	}
	condition := func(t batchv1.JobConditionType) func(*batchv1.Job) {
		return func(j *batchv1.Job) {
			j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue,
				Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: metav1.NewTime(t0)})
		}
	}
	pod := func(phase corev1.PodPhase, node string, main *corev1.ContainerState, init ...corev1.ContainerStatus) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase, InitContainerStatuses: init,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}}}}
		if node == "" {
			p.Status.Conditions[0].Status, p.Status.Conditions[0].Reason = corev1.ConditionFalse, "Unschedulable"
			p.Status.Conditions[0].Message = "0/2 nodes are available: 2 Insufficient nvidia.com/gpu."
		}
		if main != nil {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", Image: "user/img:1", State: *main}}
		}
		return p
	}
	waiting := func(reason string) *corev1.ContainerState {
		return &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "pull access denied"}}
	}
	exited := func(code int32, reason string) *corev1.ContainerState {
		return &corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
			StartedAt: metav1.NewTime(t0), FinishedAt: metav1.NewTime(t0.Add(time.Minute))}}
	}
	running := &corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0)}}
	prepareFailed := corev1.ContainerStatus{Name: "prepare", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 1, Message: "cloning...\nError: input training/1/a.txt: stored file is missing"}}}

	for name, tc := range map[string]struct {
		job        *batchv1.Job
		pod        *corev1.Pod
		at         time.Time
		wantPhase  runner.Phase
		wantReason string
		wantExit   *int
		wantGiveUp bool
	}{
		"no pod yet": {job: job(), wantPhase: runner.Queued,
			wantReason: "waiting for the job controller to create the pod"},
		"the scheduler cannot place it": {job: job(), pod: pod(corev1.PodPending, "", nil), wantPhase: runner.Queued,
			wantReason: "no node can take the job yet: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu."},
		"bound, preparing": {job: job(), pod: pod(corev1.PodPending, "n1", nil), wantPhase: runner.Preparing},
		"image cannot be pulled yet": {job: job(), pod: pod(corev1.PodPending, "n1", waiting("ImagePullBackOff")), at: t0.Add(time.Minute),
			wantPhase: runner.Queued, wantReason: "image user/img:1 cannot be pulled: pull access denied"},
		"image cannot be pulled for too long": {job: job(), pod: pod(corev1.PodPending, "n1", waiting("ErrImagePull")), at: t0.Add(time.Hour),
			wantPhase: runner.Queued, wantReason: "image user/img:1 cannot be pulled: pull access denied", wantGiveUp: true},
		"invalid image name gives up at once": {job: job(), pod: pod(corev1.PodPending, "n1", waiting("InvalidImageName")), at: t0,
			wantPhase: runner.Queued, wantReason: "image user/img:1 cannot be pulled: pull access denied", wantGiveUp: true},
		"given up": {job: job(func(j *batchv1.Job) { j.Annotations[AnnotationFailed] = "image x cannot be pulled" }),
			wantPhase: runner.Failed, wantReason: "image x cannot be pulled"},
		"running": {job: job(), pod: pod(corev1.PodRunning, "n1", running), wantPhase: runner.Running},
		"complete": {job: job(condition(batchv1.JobComplete)), pod: pod(corev1.PodSucceeded, "n1", exited(0, "Completed")),
			wantPhase: runner.Succeeded, wantExit: ptr(0)},
		"the command failed": {job: job(condition(batchv1.JobFailed)), pod: pod(corev1.PodFailed, "n1", exited(3, "Error")),
			wantPhase: runner.Failed, wantReason: "the command exited with code 3", wantExit: ptr(3)},
		"the pod failed before the Job did": {job: job(), pod: pod(corev1.PodFailed, "n1", exited(2, "Error")),
			wantPhase: runner.Failed, wantReason: "the command exited with code 2", wantExit: ptr(2)},
		"memory limit": {job: job(condition(batchv1.JobFailed)), pod: pod(corev1.PodFailed, "n1", exited(137, "OOMKilled")),
			wantPhase: runner.OOMKilled, wantReason: "the memory limit was reached", wantExit: ptr(137)},
		"prepare failed": {job: job(condition(batchv1.JobFailed)), pod: pod(corev1.PodFailed, "n1", waiting("PodInitializing"), prepareFailed),
			wantPhase: runner.Failed, wantReason: "prepare failed: Error: input training/1/a.txt: stored file is missing"},
		"pod deleted": {job: job(condition(batchv1.JobFailed)), wantPhase: runner.Failed,
			wantReason: "the job's pod was deleted or lost before the job ended (BackoffLimitExceeded: Job has reached the specified backoff limit)"},
		"canceled": {job: job(func(j *batchv1.Job) { j.Annotations[AnnotationCanceled] = "true" }), pod: pod(corev1.PodRunning, "n1", running),
			wantPhase: runner.Canceled, wantReason: "canceled"},
	} {
		t.Run(name, func(t *testing.T) {
			var pods []*corev1.Pod
			if tc.pod != nil {
				pods = append(pods, tc.pod)
			}
			v := statusOf(tc.job, pods, 5*time.Minute, cmp.Or(tc.at, t0))
			if v.Phase != tc.wantPhase || v.Reason != tc.wantReason || (v.giveUp != "") != tc.wantGiveUp {
				t.Errorf("status = %s %q giveUp=%q, want %s %q giveUp=%v", v.Phase, v.Reason, v.giveUp, tc.wantPhase, tc.wantReason, tc.wantGiveUp)
			}
			if (v.ExitCode == nil) != (tc.wantExit == nil) || (v.ExitCode != nil && *v.ExitCode != *tc.wantExit) {
				t.Errorf("exit code = %v, want %v", v.ExitCode, tc.wantExit)
			}
			if v.Phase.Terminal() && v.Finished.IsZero() {
				t.Error("a terminal status without Finished")
			}
		})
	}
}

func TestNodeRequirements(t *testing.T) {
	got, err := nodeRequirements("pool=gpu,zone in (a,b),!spot,tier!=low")
	if err != nil {
		t.Fatal(err)
	}
	want := []corev1.NodeSelectorRequirement{
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu"}},
		{Key: "spot", Operator: corev1.NodeSelectorOpDoesNotExist, Values: []string{}},
		{Key: "tier", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"low"}},
		{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
	if reqs, err := nodeRequirements(""); err != nil || len(reqs) != 0 {
		t.Errorf("empty selector = %v, %v; want none", reqs, err)
	}
	if _, err := nodeRequirements("pool==="); err == nil {
		t.Error("a broken selector was accepted")
	}
}

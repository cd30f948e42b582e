package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Nodes reports the schedulable, ready nodes with what they can hold and
// what the pods bound to them (anyone's) have been given.
func (r *Runner) Nodes(context.Context) ([]runner.Node, error) {
	nodes, err := r.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	used := map[string]runner.Resources{}
	pods, _ := r.pods.List(labels.Everything())
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		u := used[p.Spec.NodeName]
		for _, c := range p.Spec.Containers {
			u = add(u, resourcesOf(c.Resources.Limits))
		}
		used[p.Spec.NodeName] = u
	}
	out := make([]runner.Node, 0, len(nodes))
	for _, n := range nodes {
		if n.Spec.Unschedulable || !ready(n) {
			continue
		}
		out = append(out, runner.Node{Name: n.Name, Partition: n.Labels[LabelPartition],
			Capacity: resourcesOf(n.Status.Allocatable), Allocated: used[n.Name], GPUs: []runner.GPU{}})
	}
	slices.SortFunc(out, func(a, b runner.Node) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// resourcesOf rounds a resource list to the runner's units: whole cores
// (rounded up), GiB and GPUs.
func resourcesOf(l corev1.ResourceList) runner.Resources {
	var out runner.Resources
	if q, ok := l[corev1.ResourceCPU]; ok {
		out.CPU = int((q.MilliValue() + 999) / 1000)
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		out.MemoryGB = int(q.Value() >> 30)
	}
	if q, ok := l[resourceGPU]; ok {
		out.GPU = int(q.Value())
	}
	return out
}

func add(a, b runner.Resources) runner.Resources {
	return runner.Resources{CPU: a.CPU + b.CPU, MemoryGB: a.MemoryGB + b.MemoryGB, GPU: a.GPU + b.GPU}
}

// ourNodeLabel reports a node label that ApplyNodes manages.
func ourNodeLabel(k string) bool {
	return k == LabelPartition || k == LabelAccess || k == LabelNotebook || k == LabelTensorBoard ||
		strings.HasPrefix(k, TenantLabelPrefix)
}

// nodeLabels are the labels of a node setting.
func nodeLabels(s runner.NodeSetting) map[string]string {
	out := map[string]string{}
	switch s.Access {
	case runner.Disabled:
		return out
	case runner.Public:
		out[LabelAccess] = "public"
	case runner.Private:
		for _, t := range s.Tenants {
			out[TenantLabelPrefix+t] = "true"
		}
	}
	if s.Partition != "" {
		out[LabelPartition] = s.Partition
	}
	if s.Notebook {
		out[LabelNotebook] = "true"
	}
	if s.TensorBoard {
		out[LabelTensorBoard] = "true"
	}
	return out
}

// ApplyNodes sets our labels on every node to its setting, and removes
// them from nodes without one. Other labels are left alone: each node gets
// a JSON merge patch of our keys only, and only when they differ.
func (r *Runner) ApplyNodes(ctx context.Context, settings []runner.NodeSetting) error {
	want := map[string]map[string]string{}
	for _, s := range settings {
		if s.Partition != "" {
			if err := checkSpec(runner.Spec{Key: "x", Image: "x", Partition: s.Partition}); err != nil {
				return fmt.Errorf("node %s: %w", s.Name, err)
			}
		}
		want[s.Name] = nodeLabels(s)
	}
	nodes, err := r.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, n := range nodes {
		patch := map[string]any{}
		w := want[n.Name]
		for k, v := range n.Labels {
			if ourNodeLabel(k) && w[k] != v {
				patch[k] = nil
			}
		}
		for k, v := range w {
			if n.Labels[k] != v {
				patch[k] = v
			}
		}
		if len(patch) == 0 {
			continue
		}
		b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": patch}})
		if _, err := r.client.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, b, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("kubernetes runner: label node %s: %w", n.Name, err)
		}
	}
	return nil
}

// ApplyTenant creates or updates the tenant's namespace, the role binding
// that lets this server run jobs there and the quota of its jobs.
func (r *Runner) ApplyTenant(ctx context.Context, t runner.TenantSetting) error {
	ns := r.namespace(t.Name)
	lbl := map[string]string{LabelManagedBy: ManagedBy, LabelTenant: t.Name}
	_, err := r.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: lbl}},
		metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubernetes runner: namespace of tenant %s: %w", t.Name, err)
	}
	if s := r.opt.ServerSubject; s != nil {
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kamonohashi-server", Namespace: ns, Labels: lbl},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantJobsRole},
			Subjects: []rbacv1.Subject{*s}}
		_, err := r.client.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("kubernetes runner: role binding of tenant %s: %w", t.Name, err)
		}
	}
	// The quota controller writes the quota's status: retry on conflict.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error { return r.applyQuota(ctx, ns, lbl, t.Quota) })
}

// applyQuota keeps ResourceQuota <ns>-compute at the tenant's quota; a
// zero field is unlimited and no quota at all means none.
func (r *Runner) applyQuota(ctx context.Context, ns string, lbl map[string]string, q runner.Resources) error {
	hard := resourceList(q, corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, "requests."+resourceGPU)
	name := ns + "-compute"
	api := r.client.CoreV1().ResourceQuotas(ns)
	cur, err := api.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) && len(hard) == 0:
		return nil
	case apierrors.IsNotFound(err):
		_, err = api.Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbl},
			Spec: corev1.ResourceQuotaSpec{Hard: hard}}, metav1.CreateOptions{})
	case err != nil:
	case len(hard) == 0:
		err = api.Delete(ctx, name, metav1.DeleteOptions{})
	case !maps.EqualFunc(cur.Spec.Hard, hard, func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 }):
		cur.Spec.Hard = hard
		_, err = api.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil && !apierrors.IsConflict(err) {
		err = fmt.Errorf("kubernetes runner: quota of namespace %s: %w", ns, err)
	}
	return err
}

// RemoveTenant deletes the tenant's namespace and everything in it.
func (r *Runner) RemoveTenant(ctx context.Context, name string) error {
	err := r.client.CoreV1().Namespaces().Delete(ctx, r.namespace(name), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("kubernetes runner: remove tenant %s: %w", name, err)
	}
	return nil
}

// Allocations lists the jobs that have not ended, from the caches.
func (r *Runner) Allocations(context.Context) ([]runner.Allocation, error) {
	js, err := r.jobs.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runner.Allocation
	for _, j := range js {
		st, ok := r.statuses[j.Name]
		if !ok || !r.ours(j.Namespace) || st.Phase.Terminal() {
			continue
		}
		out = append(out, allocation(j, st))
	}
	slices.SortFunc(out, func(a, b runner.Allocation) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func allocation(j *batchv1.Job, st runner.Status) runner.Allocation {
	id, _ := strconv.ParseInt(j.Labels[LabelID], 10, 64)
	a := runner.Allocation{Key: j.Name, Tenant: j.Labels[LabelTenant], Kind: runner.Kind(j.Labels[LabelKind]), ID: id,
		User: j.Annotations[AnnotationUser], Node: st.Node, Phase: st.Phase, Reason: st.Reason,
		Created: j.CreationTimestamp.Time, Started: st.Started}
	for _, c := range j.Spec.Template.Spec.Containers {
		if c.Name == mainName {
			a.Resources = resourcesOf(c.Resources.Limits)
		}
	}
	return a
}

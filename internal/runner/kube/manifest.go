package kube

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Paths inside the pod besides the layout's /kqi/...
const (
	specDir   = "/kqi/spec" // the Secret with job.json
	specFile  = specDir + "/job.json"
	storeDir  = "/kqi/store" // the NFS export; <tenant> under it
	binDir    = "/kqi/bin"   // our binary, copied by prepare for main
	helperBin = "kamonohashi"

	// The containers.
	prepareName = "prepare"
	mainName    = "main"
	finishName  = "finish"
)

// objects are what Submit creates for one run.
type objects struct {
	job    *batchv1.Job
	secret *corev1.Secret // job.json
	pull   *corev1.Secret // dockerconfigjson, when the image needs a login
}

// labels of every object of run s.
func runLabels(s runner.Spec) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelKey: s.Key, LabelTenant: s.Tenant,
		LabelKind: string(s.Kind), LabelID: strconv.FormatInt(s.ID, 10)}
}

// checkSpec refuses what Kubernetes would refuse, with a readable message.
func checkSpec(s runner.Spec) error {
	if errs := validation.IsDNS1123Label(s.Key); len(errs) > 0 {
		return fmt.Errorf("job key %q is not a valid Kubernetes name: %s", s.Key, errs[0])
	}
	if s.Partition != "" {
		if errs := validation.IsValidLabelValue(s.Partition); len(errs) > 0 {
			return fmt.Errorf("partition %q cannot be a node label value: %s", s.Partition, errs[0])
		}
	}
	if s.Image == "" {
		return fmt.Errorf("job %s has no image", s.Key)
	}
	return nil
}

// render builds the objects of run s.
func (r *Runner) render(s runner.Spec) (objects, error) {
	if err := checkSpec(s); err != nil {
		return objects{}, err
	}
	ns := r.namespace(s.Tenant)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: runLabels(s),
			Annotations: map[string]string{AnnotationUser: s.User}}
	}
	j := jobcontract.Job{Spec: s, Layout: jobcontract.KubeLayout()}
	b, err := json.Marshal(j)
	if err != nil {
		return objects{}, err
	}
	o := objects{secret: &corev1.Secret{ObjectMeta: meta(s.Key), Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"job.json": b, "token": []byte(s.Env["KQI_TOKEN"])}}}
	pod := r.podSpec(s)
	if s.Pull != nil {
		o.pull = &corev1.Secret{ObjectMeta: meta(s.Key + "-pull"), Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig(*s.Pull)}}
		pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: o.pull.Name}}
	}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: runLabels(s)}, Spec: pod}
	o.job = &batchv1.Job{ObjectMeta: meta(s.Key), Spec: batchv1.JobSpec{
		Parallelism: ptr[int32](1), Completions: ptr[int32](1), BackoffLimit: ptr[int32](0),
		// Pods are ours to name: no selector generated from a UID.
		Template: tmpl,
	}}
	return o, nil
}

func ptr[T any](v T) *T { return &v }

// dockerConfig is a .dockerconfigjson with one login.
func dockerConfig(a runner.RegistryAuth) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(a.User + ":" + a.Password))
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{a.Server: map[string]string{
		"username": a.User, "password": a.Password, "auth": auth}}})
	return b
}

// podSpec is the pod of run s: prepare (init), finish (native sidecar) and
// main, sharing an emptyDir at /kqi.
func (r *Runner) podSpec(s runner.Spec) corev1.PodSpec {
	l := jobcontract.KubeLayout()
	always := corev1.ContainerRestartPolicyAlways
	mounts, vols := r.volumes(s)
	helper := func(name string, args ...string) corev1.Container {
		return corev1.Container{Name: name, Image: r.opt.HelperImage, Command: []string{helperBin},
			Args: append([]string{"job", name, "--spec", specFile}, args...), VolumeMounts: mounts,
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			Resources:                helperResources()}
	}
	var storeArgs []string
	if r.opt.NFS != nil {
		storeArgs = []string{"--storage-root", storeDir}
	}
	prepare := helper(prepareName, append(storeArgs, "--install-to", binDir)...)
	finishArgs := []string{"--wait"}
	if r.opt.NFS == nil {
		finishArgs = append(finishArgs, "--upload", r.serverURL(s))
	}
	finish := helper(finishName, finishArgs...)
	finish.RestartPolicy = &always
	main := corev1.Container{Name: mainName, Image: s.Image, Command: []string{path.Join(binDir, helperBin)},
		Args: []string{"job", "exec", "--spec", specFile}, WorkingDir: l.WorkDir(s),
		Env: env(s, l), VolumeMounts: append(slices.Clone(mounts), corev1.VolumeMount{Name: "dshm", MountPath: "/dev/shm"}),
		Resources: limits(s.Resources), TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError}
	shm := resource.NewQuantity(int64(r.shmGB(s))<<30, resource.BinarySI)
	vols = append(vols, corev1.Volume{Name: "dshm", VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: shm}}})
	return corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyNever,
		AutomountServiceAccountToken:  ptr(false),
		EnableServiceLinks:            ptr(false),
		TerminationGracePeriodSeconds: ptr[int64](30),
		InitContainers:                []corev1.Container{prepare, finish},
		Containers:                    []corev1.Container{main},
		Volumes:                       vols,
		Affinity:                      affinity(s, r.nodeReqs),
		Tolerations: append([]corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoSchedule}}, r.opt.Tolerations...),
	}
}

func (r *Runner) serverURL(s runner.Spec) string {
	if r.opt.ServerURL != "" {
		return r.opt.ServerURL
	}
	return s.Env["KQI_SERVER"]
}

func (r *Runner) shmGB(s runner.Spec) int {
	if r.opt.ShmGB > 0 {
		return r.opt.ShmGB
	}
	return max(1, s.Resources.MemoryGB/2)
}

// helperResources bound prepare and finish (the original's 0.2 CPU and
// 200M for finish; prepare gets more for unzipping and copying).
func helperResources() corev1.ResourceRequirements {
	q := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("512Mi")}
	return corev1.ResourceRequirements{Limits: q, Requests: q}
}

// limits are main's CPU, memory and GPUs, requested as much as limited.
func limits(res runner.Resources) corev1.ResourceRequirements {
	q := resourceList(res, corev1.ResourceCPU, corev1.ResourceMemory, resourceGPU)
	return corev1.ResourceRequirements{Limits: q, Requests: maps.Clone(q)}
}

// resourceList names the non-zero resources of res.
func resourceList(res runner.Resources, cpu, mem, gpu corev1.ResourceName) corev1.ResourceList {
	q := corev1.ResourceList{}
	if res.CPU > 0 {
		q[cpu] = *resource.NewQuantity(int64(res.CPU), resource.DecimalSI)
	}
	if res.MemoryGB > 0 {
		q[mem] = *resource.NewQuantity(int64(res.MemoryGB)<<30, resource.BinarySI)
	}
	if res.GPU > 0 {
		q[gpu] = *resource.NewQuantity(int64(res.GPU), resource.DecimalSI)
	}
	return q
}

const resourceGPU corev1.ResourceName = "nvidia.com/gpu"

// env is main's environment: the spec's and the layout's variables, the
// token from the Secret rather than in the Job object, and no GPU when
// none was asked for (the original's NVIDIA_VISIBLE_DEVICES=none).
func env(s runner.Spec, l jobcontract.Layout) []corev1.EnvVar {
	all := maps.Clone(s.Env)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, l.Env())
	if s.Resources.GPU == 0 {
		all["NVIDIA_VISIBLE_DEVICES"] = "none"
	}
	var out []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if k == "KQI_TOKEN" {
			out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: s.Key}, Key: "token"}}})
			continue
		}
		out = append(out, corev1.EnvVar{Name: k, Value: all[k]})
	}
	return out
}

// volumes: /kqi is an emptyDir shared by the three containers (input,
// git, tmp and the links prepare makes live in it); the spec Secret; with
// NFS the tenant's storage directory read-only at /kqi/store/<tenant> and
// the run's output and attach directories of it read-write.
func (r *Runner) volumes(s runner.Spec) ([]corev1.VolumeMount, []corev1.Volume) {
	l := jobcontract.KubeLayout()
	mounts := []corev1.VolumeMount{{Name: "kqi", MountPath: l.Root}, {Name: "spec", MountPath: specDir, ReadOnly: true}}
	vols := []corev1.Volume{
		{Name: "kqi", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "spec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: s.Key,
			Items: []corev1.KeyToPath{{Key: "job.json", Path: "job.json"}}}}},
	}
	if r.opt.NFS == nil {
		return mounts, vols
	}
	mounts = append(mounts,
		corev1.VolumeMount{Name: "store", MountPath: path.Join(storeDir, s.Tenant), ReadOnly: true},
		corev1.VolumeMount{Name: "store", MountPath: l.Output, SubPath: path.Join(string(s.Output.Type), s.Output.Path)},
		corev1.VolumeMount{Name: "store", MountPath: l.Attach, SubPath: path.Join(string(s.Attach.Type), s.Attach.Path)})
	vols = append(vols, corev1.Volume{Name: "store", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{
		Server: r.opt.NFS.Server, Path: path.Join(r.opt.NFS.Path, s.Tenant)}}})
	return mounts, vols
}

// affinity requires a node open to the tenant (its tenant label, or
// public access), of the partition asked for, allowing the kind, and
// matching the runner's node selector (base).
func affinity(s runner.Spec, base []corev1.NodeSelectorRequirement) *corev1.Affinity {
	extra := slices.Clone(base)
	in := func(key, value string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{value}}
	}
	if s.Partition != "" {
		extra = append(extra, in(LabelPartition, s.Partition))
	}
	switch s.Kind {
	case runner.Notebook:
		extra = append(extra, in(LabelNotebook, "true"))
	case runner.TensorBoard:
		extra = append(extra, in(LabelTensorBoard, "true"))
	}
	terms := []corev1.NodeSelectorTerm{
		{MatchExpressions: append([]corev1.NodeSelectorRequirement{in(TenantLabelPrefix+s.Tenant, "true")}, extra...)},
		{MatchExpressions: append([]corev1.NodeSelectorRequirement{in(LabelAccess, "public")}, extra...)},
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}
}

// nodeRequirements turns a label selector into node selector requirements,
// so that jobs land only on the nodes the runner manages.
func nodeRequirements(selector string) ([]corev1.NodeSelectorRequirement, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, err
	}
	reqs, _ := sel.Requirements()
	out := make([]corev1.NodeSelectorRequirement, 0, len(reqs))
	for _, q := range reqs {
		var op corev1.NodeSelectorOperator
		switch q.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			op = corev1.NodeSelectorOpIn
		case selection.NotEquals, selection.NotIn:
			op = corev1.NodeSelectorOpNotIn
		case selection.Exists:
			op = corev1.NodeSelectorOpExists
		case selection.DoesNotExist:
			op = corev1.NodeSelectorOpDoesNotExist
		case selection.GreaterThan:
			op = corev1.NodeSelectorOpGt
		case selection.LessThan:
			op = corev1.NodeSelectorOpLt
		default:
			return nil, fmt.Errorf("operator %q is not usable in node affinity", q.Operator())
		}
		out = append(out, corev1.NodeSelectorRequirement{Key: q.Key(), Operator: op, Values: q.Values().List()})
	}
	return out, nil
}

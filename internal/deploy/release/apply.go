package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager owns the applied fields (server-side apply).
const FieldManager = "deploy-kamonohashi"

// RecordName is the Secret that records the release in its namespace.
const RecordName = "kamonohashi-release"

// Ref names one applied object.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Record is what the last install applied.
type Record struct {
	Revision int
	Digest   string
	Objects  []Ref
}

// Cluster talks to the cluster that holds the release.
type Cluster struct {
	NS     string
	Client kubernetes.Interface
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

// Connect prepares the clients for namespace ns.
func Connect(cfg *rest.Config, ns string) (*Cluster, error) {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{NS: ns, Client: c, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Record reads the release record; ok is false when nothing is installed.
func (c *Cluster) Record(ctx context.Context) (rec Record, ok bool, err error) {
	s, err := c.Client.CoreV1().Secrets(c.NS).Get(ctx, RecordName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read the release record %s/%s: %w", c.NS, RecordName, err)
	}
	rec.Revision, _ = strconv.Atoi(string(s.Data["revision"]))
	rec.Digest = string(s.Data["digest"])
	if err := json.Unmarshal(s.Data["objects"], &rec.Objects); err != nil {
		return rec, false, fmt.Errorf("release record %s/%s: %w", c.NS, RecordName, err)
	}
	return rec, true, nil
}

// Result is what Install did.
type Result struct {
	Changed  bool
	Revision int
	Applied  int
	Removed  int
}

// Install applies r: nothing when the record has r's digest and every
// object it lists exists; else every object (server-side apply), then the
// removal of the objects the previous revision had and r has not.
func (c *Cluster) Install(ctx context.Context, r Rendered) (Result, error) {
	old, installed, err := c.Record(ctx)
	if err != nil {
		return Result{}, err
	}
	if installed && old.Digest == r.Digest {
		missing, err := c.missing(ctx, old.Objects)
		if err != nil {
			return Result{}, err
		}
		if len(missing) == 0 {
			return Result{Revision: old.Revision}, nil
		}
	}
	if err := c.ensureNamespace(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Changed: true, Revision: old.Revision + 1}
	var refs []Ref
	for _, obj := range r.Objects {
		ref, err := c.apply(ctx, obj)
		if err != nil {
			return res, err
		}
		refs = append(refs, ref)
		res.Applied++
	}
	for _, ref := range slices.Backward(old.Objects) {
		if slices.Contains(refs, ref) {
			continue
		}
		if err := c.delete(ctx, ref); err != nil {
			return res, err
		}
		res.Removed++
	}
	return res, c.writeRecord(ctx, Record{Revision: res.Revision, Digest: r.Digest, Objects: refs})
}

// Uninstall deletes the recorded objects and the record; the namespace is
// kept. It returns how many objects it deleted.
func (c *Cluster) Uninstall(ctx context.Context) (int, error) {
	rec, ok, err := c.Record(ctx)
	if err != nil || !ok {
		return 0, err
	}
	n := 0
	for i := len(rec.Objects) - 1; i >= 0; i-- {
		if err := c.delete(ctx, rec.Objects[i]); err != nil {
			return n, err
		}
		n++
	}
	err = c.Client.CoreV1().Secrets(c.NS).Delete(ctx, RecordName, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		err = nil
	}
	return n, err
}

func (c *Cluster) ensureNamespace(ctx context.Context) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.NS,
		Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager}}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: %w", c.NS, err)
	}
	return nil
}

func (c *Cluster) resource(gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, bool, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(ns), true, nil
	}
	return c.dyn.Resource(m.Resource), false, nil
}

func (c *Cluster) apply(ctx context.Context, obj *unstructured.Unstructured) (Ref, error) {
	ri, namespaced, err := c.resource(obj.GroupVersionKind(), c.NS)
	if err != nil {
		return Ref{}, err
	}
	ref := Ref{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName()}
	if namespaced {
		obj.SetNamespace(c.NS)
		ref.Namespace = c.NS
	}
	if _, err := ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return ref, fmt.Errorf("apply %s %s: %w", ref.Kind, ref.Name, err)
	}
	return ref, nil
}

func (c *Cluster) ri(ref Ref) (dynamic.ResourceInterface, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, err
	}
	ri, _, err := c.resource(gv.WithKind(ref.Kind), ref.Namespace)
	return ri, err
}

func (c *Cluster) missing(ctx context.Context, refs []Ref) ([]Ref, error) {
	var out []Ref
	for _, ref := range refs {
		ri, err := c.ri(ref)
		if err != nil {
			return nil, err
		}
		_, err = ri.Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			out = append(out, ref)
		case err != nil:
			return nil, fmt.Errorf("%s %s: %w", ref.Kind, ref.Name, err)
		}
	}
	return out, nil
}

func (c *Cluster) delete(ctx context.Context, ref Ref) error {
	ri, err := c.ri(ref)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, ref.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s: %w", ref.Kind, ref.Name, err)
	}
	return nil
}

func (c *Cluster) writeRecord(ctx context.Context, rec Record) error {
	objs, err := json.Marshal(rec.Objects)
	if err != nil {
		return err
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: RecordName, Namespace: c.NS, Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager}},
		Type:       "deploy-kamonohashi/release",
		Data:       map[string][]byte{"revision": []byte(strconv.Itoa(rec.Revision)), "digest": []byte(rec.Digest), "objects": objs},
	}
	_, err = c.Client.CoreV1().Secrets(c.NS).Update(ctx, s, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		_, err = c.Client.CoreV1().Secrets(c.NS).Create(ctx, s, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write the release record: %w", err)
	}
	return nil
}

// ErrNoDatabasePod is returned when PostgreSQL is not running to change its password.
var ErrNoDatabasePod = errors.New("the PostgreSQL pod is not running")

// NodeNames lists the cluster's nodes by name.
func (c *Cluster) NodeNames(ctx context.Context) ([]string, error) {
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the cluster's nodes: %w", err)
	}
	names := make([]string, len(nodes.Items))
	for i, n := range nodes.Items {
		names[i] = n.Name
	}
	return names, nil
}

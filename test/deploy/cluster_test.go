package deploy

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/release"
	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
)

// uids are the UIDs of the objects the release record lists.
func uids(t *testing.T, cfg *rest.Config, ns string) map[release.Ref]types.UID {
	t.Helper()
	ctx := context.Background()
	c, err := release.Connect(cfg, ns)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok, err := c.Record(ctx)
	if err != nil || !ok {
		t.Fatalf("release record in %s: %v (found %v)", ns, err, ok)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn := dynamic.NewForConfigOrDie(cfg)
	out := map[release.Ref]types.UID{}
	for _, ref := range rec.Objects {
		gv, _ := schema.ParseGroupVersion(ref.APIVersion)
		m, err := mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
		if err != nil {
			t.Fatal(err)
		}
		o, err := dyn.Resource(m.Resource).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s %s: %v", ref.Kind, ref.Name, err)
		}
		out[ref] = o.GetUID()
	}
	return out
}

// The four roles on four SSH hosts, answered at the prompts; the web
// system deployed into the test control plane, then upgraded in place.
func TestFourRoleClusterDeploysAndUpgradesInPlace(t *testing.T) {
	cfg, kc, kubeconfig := controlPlane(t)
	ns := kubetest.Unique("kqi-deploy4-")
	ctx := context.Background()

	tl := NewTool(t, bin, "en_US.UTF-8")
	term := tl.Start(t, nil, "configure", "cluster")
	for _, qa := range [][2]string{
		{"Kubernetes master server name", Host(1)}, {"KAMONOHASHI", Host(2)}, {"Storage server name", Host(3)},
		{"Compute node names", Host(4)}, {"SSH user name", SSHUser},
	} {
		term.Expect(qa[0])
		term.Send(qa[1])
	}
	if code, out := term.Wait(); code != 0 {
		t.Fatalf("configure: exit %d\n%s", code, out)
	}
	useNamespace(t, tl, ns)
	t.Cleanup(func() {
		if out, code := tl.Run(t, nil, "clean", "app", "-y", "--kubeconfig", kubeconfig); code != 0 {
			t.Errorf("clean app: exit %d\n%s", code, out)
		}
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	deployAppAtPrompt(t, tl, kubeconfig, "host2")
	dep := pinnedServer(t, kc, ns, "host2")
	c := dep.Spec.Template.Spec.Containers[0]
	if args := strings.Join(c.Args, " "); !strings.Contains(args, "--kube-nfs-server=127.0.0.1") {
		t.Errorf("server args %s: the NFS server is not the storage host's address", args)
	}
	t.Run("the deployed server logs in with the admin password given", func(t *testing.T) {
		serveDeployed(t, kc, ns, c, kubeconfig)
	})

	// update app after a settings change: the same objects, patched.
	before := uids(t, cfg, ns)
	editSettings(t, tl, "httpPort: 80\n", "httpPort: 8080\n")
	out, code := tl.Run(t, nil, "update", "app", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "web system applied: revision 2") || !strings.Contains(out, "access URL: http://host2:8080/") {
		t.Fatalf("update app: exit %d\n%s", code, out)
	}
	dep2, err := kc.AppsV1().Deployments(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := hostPort(dep2.Spec.Template.Spec.Containers[0]); got != 8080 || dep2.Generation <= dep.Generation {
		t.Errorf("after update app: hostPort %d (want 8080), generation %d → %d", got, dep.Generation, dep2.Generation)
	}
	if len(before) < 8 {
		t.Errorf("the release record lists %d objects: %v", len(before), before)
	}
	if after := uids(t, cfg, ns); !maps.Equal(before, after) {
		t.Errorf("objects recreated by update app: UIDs before %v, after %v", before, after)
	}

	out, code = tl.Run(t, nil, "update", "app", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "nothing to change: the web system is installed as configured (revision 2)") {
		t.Errorf("no-op update app: exit %d\n%s", code, out)
	}
}

func hostPort(c corev1.Container) int32 {
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			return p.HostPort
		}
	}
	return 0
}

// update node-conf with a compute node added to the inventory: the plan
// runs on the new node only (and the master, for the join token). The
// cluster is the test control plane, holding Node objects named like the
// inventory's hosts (names of this test's own), so the join itself is a
// dry run: k3s never runs here.
func TestNodeConfPlansOnlyTheNewNode(t *testing.T) {
	_, kc, kubeconfig := controlPlane(t)
	ctx := context.Background()
	p := kubetest.Unique("nc")
	master, web, storage, gpu, added := p+"-master", p+"-web", p+"-storage", p+"-gpu", p+"-added"

	tl := NewTool(t, bin, "C")
	tl.AddNames(t, master, web, storage, gpu, added)
	configure := func(nodes string) {
		t.Helper()
		out, code := tl.Run(t, nil, "configure", "cluster", "--master", master+":58221", "--kamonohashi", web+":58222",
			"--storage", storage+":58223", "--nodes", nodes, "--ssh-user", SSHUser)
		if code != 0 {
			t.Fatalf("configure: exit %d\n%s", code, out)
		}
	}
	configure(gpu + ":58224")
	for _, n := range []string{master, web, storage, gpu} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"kubernetes.io/hostname": n}},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "kqi.test/deploy", Effect: corev1.TaintEffectNoSchedule}}}}
		if _, err := kc.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = kc.CoreV1().Nodes().Delete(context.Background(), n, metav1.DeleteOptions{}) })
	}

	out, code := tl.Run(t, withPasswords, "update", "node-conf", "-k", "-K", "--dry-run", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "nothing to change: every host of the inventory has joined the cluster") {
		t.Fatalf("node-conf with every host joined: exit %d\n%s", code, out)
	}

	// The added node shares host4's sshd under its own name.
	configure(gpu + ":58224," + added + ":58224")
	out, code = tl.Run(t, withPasswords, "update", "node-conf", "-k", "-K", "--dry-run", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "joining: "+added+" (") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("node-conf: exit %d\n%s", code, out)
	}
	// The master's steps act on the cluster: the device plugin (applied
	// once, idempotent) and the wait for the new node.
	step := regexp.MustCompile(`(?m)^\[\d+/\d+\] (\S+): (.+) \.\.\. `)
	var onAdded []string
	for _, m := range step.FindAllStringSubmatch(out, -1) {
		switch host, name := m[1], m[2]; {
		case host == added:
			onAdded = append(onAdded, name)
		case host == master && (name == "NVIDIA device plugin" || name == "node "+added+" Ready"):
		default:
			t.Errorf("step %q on %s: only %s may be touched", name, host, added)
		}
	}
	if !slices.Contains(onAdded, "NFS client") || !slices.Contains(onAdded, "k3s-agent running with this configuration") {
		t.Errorf("steps on %s: %q, want its NFS client and k3s agent:\n%s", added, onAdded, out)
	}
}

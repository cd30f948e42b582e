package kube_test

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
)

// applyChartRBAC renders the chart's rbac.yaml for a service account in
// namespace ns and applies it with the admin client.
func applyChartRBAC(t *testing.T, c kubernetes.Interface, ns, sa string) {
	t.Helper()
	kubetest.LockClusterScoped(t) // the chart's ClusterRoles have fixed names
	b, err := os.ReadFile("../../../charts/kamonohashi/templates/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("{{ .Values.serviceAccount.name }}", sa, "{{ .Release.Namespace }}", ns,
		"{{ .Release.Service }}", "Helm").Replace(string(b))
	if strings.Contains(text, "{{") {
		t.Fatalf("rbac.yaml has template values this test does not render")
	}
	ctx := context.Background()
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(text, "\n---\n") {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "ServiceAccount":
			var o corev1.ServiceAccount
			mustDecode(t, doc, &o)
			_, err = c.CoreV1().ServiceAccounts(ns).Create(ctx, &o, metav1.CreateOptions{})
		case "ClusterRole":
			var o rbacv1.ClusterRole
			mustDecode(t, doc, &o)
			_ = c.RbacV1().ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{})
			_, err = c.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{})
		case "ClusterRoleBinding":
			var o rbacv1.ClusterRoleBinding
			mustDecode(t, doc, &o)
			_ = c.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{})
			_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{})
		default:
			t.Fatalf("rbac.yaml holds a %q this test does not apply", meta.Kind)
		}
		if err != nil {
			t.Fatalf("apply %s: %v", meta.Kind, err)
		}
	}
}

func mustDecode(t *testing.T, doc string, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
		t.Fatal(err)
	}
}

// The runner works end to end as the chart's service account, and that
// identity can do nothing outside what the chart grants.
func TestRunnerWorksWithTheChartsLeastPrivilege(t *testing.T) {
	e := newEnv(t).withNodes(1, 8, nil)
	ns, sa := e.prefix+"system", "kamonohashi"
	applyChartRBAC(t, e.client, ns, sa)
	as := rest.CopyConfig(e.cfg)
	as.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}
	subject := &rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa}
	r := e.runnerAs(as, func(o *kube.Options) { o.ServerSubject = subject })
	ctx := context.Background()
	if err := r.ApplyTenant(ctx, runner.TenantSetting{Name: e.tenant, Quota: runner.Resources{GPU: 4}}); err != nil {
		t.Fatal(err)
	}
	s := e.spec(40, 1)
	s.Pull = &runner.RegistryAuth{Server: "registry.example.com", User: "u", Password: "p"}
	if err := r.Submit(ctx, s); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, s.Key, "succeeds", phase(runner.Succeeded))
	if _, err := r.Events(ctx, s.Key); err != nil {
		t.Errorf("events: %v", err)
	}
	if _, err := r.Nodes(ctx); err != nil {
		t.Errorf("nodes: %v", err)
	}
	if err := r.ApplyNodes(ctx, []runner.NodeSetting{{Name: e.nodes[0], Access: runner.Private, Tenants: []string{e.tenant}}}); err != nil {
		t.Errorf("apply nodes: %v", err)
	}
	if err := r.Remove(ctx, s.Key); err != nil {
		t.Errorf("remove: %v", err)
	}
	s2 := e.spec(41, 16)
	if err := r.Submit(ctx, s2); err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel(ctx, s2.Key); err != nil {
		t.Errorf("cancel: %v", err)
	}

	// Nothing beyond: no secrets outside tenant namespaces, no cluster roles.
	c := kubetest.Client(t, as)
	_, err := c.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("creating a secret in default: %v, want forbidden", err)
	}
	_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "x"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("binding cluster-admin: %v, want forbidden", err)
	}
	if _, err := c.CoreV1().Secrets(e.prefix+e.tenant).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing the tenant's secrets: %v, want forbidden", err)
	}
}

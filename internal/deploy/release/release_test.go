package release

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
)

// helm lint, with the chart's defaults and with the tool's values.
func TestChartIsLintClean(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"defaults":        nil,
		"the tool's":      Values(testInventory(), testSettings(), config.Secrets{DBPassword: "db", ServerKey: "k"}, "admin-pass"),
		"s3 and nodePort": {"storage": map[string]any{"type": "s3", "s3": map[string]any{"endpoint": "http://s3:9000", "secretKey": "s"}}, "http": map[string]any{"expose": "nodePort", "port": 30080}},
	} {
		t.Run(name, func(t *testing.T) {
			if vals == nil {
				vals = map[string]any{"storage": map[string]any{"nfs": map[string]any{"server": "nfs", "path": "/x"}}}
			}
			l := lint.All("../../../charts/kamonohashi", vals, "kqi-system", false)
			for _, m := range l.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
		})
	}
}

func TestRenderPinsTheServerAndPassesTheSecrets(t *testing.T) {
	r, err := Render("kqi-system", Values(testInventory(), testSettings(), config.Secrets{DBPassword: "dbpw", ServerKey: "key"}, "admin-pass"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var dep *unstructured.Unstructured
	for _, o := range r.Objects {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetKind() == "Deployment" {
			dep = o
		}
	}
	for _, want := range []string{"ServiceAccount/kamonohashi", "Secret/kamonohashi", "ClusterRole/kamonohashi-tenant-jobs",
		"Service/kamonohashi", "StatefulSet/kamonohashi-postgresql", "Deployment/kamonohashi"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("rendered %v lacks %s", kinds, want)
		}
	}
	sel, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "spec", "nodeSelector")
	if sel["kubernetes.io/hostname"] != "kqi" {
		t.Errorf("nodeSelector = %v", sel)
	}
	cs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	args := strings.Join(toStrings(cs[0].(map[string]any)["args"]), " ")
	for _, want := range []string{"--runner=kubernetes", "--kube-service-account=kqi-system/kamonohashi", "--kube-nfs-server=10.0.0.3", "--kube-nfs-path=/var/lib/kamonohashi/nfs"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %s", args, want)
		}
	}
	if !strings.Contains(r.Notes, "http://kqi/") {
		t.Errorf("notes: %s", r.Notes)
	}
	again, _ := Render("kqi-system", Values(testInventory(), testSettings(), config.Secrets{DBPassword: "dbpw", ServerKey: "key"}, "admin-pass"))
	if again.Digest != r.Digest {
		t.Errorf("the same values render differently")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func testInventory() config.Inventory {
	return config.Inventory{SSHUser: "u", Hosts: []config.Host{
		{Name: "master", Address: "10.0.0.1", Roles: []config.Role{config.RoleMaster}},
		{Name: "kqi", Address: "10.0.0.2", Roles: []config.Role{config.RoleKamonohashi}},
		{Name: "nfs", Address: "10.0.0.3", Roles: []config.Role{config.RoleStorage}},
		{Name: "gpu", Address: "10.0.0.4", Roles: []config.Role{config.RoleCompute}, GPU: true},
	}}
}

func testSettings() config.Settings {
	s := config.DefaultSettings(testInventory(), func(string) string { return "" })
	return s
}

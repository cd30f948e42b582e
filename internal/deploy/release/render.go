// Package release installs the web system: it renders the embedded Helm
// chart charts/kamonohashi with Helm's own template engine and applies the
// objects with Kubernetes server-side apply. A release record (a Secret in
// the namespace) keeps the digest of the rendered manifests, the revision
// and the objects applied, so a re-run with nothing changed touches nothing,
// an upgrade removes what the new chart no longer has, and uninstall knows
// what to delete.
package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kamonohashi-go/kamonohashi/charts"
)

// Name is the release's name (labels and the record).
const Name = "kamonohashi"

// Chart loads the chart embedded in this binary.
func Chart() (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(charts.FS, charts.Kamonohashi, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := charts.FS.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, charts.Kamonohashi+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}

// Rendered is the chart rendered for one namespace and set of values.
type Rendered struct {
	Objects []*unstructured.Unstructured // in install order
	Notes   string
	Digest  string // sha256 of the manifests: equal digests, equal release
}

// Render renders the embedded chart with vals into namespace ns.
func Render(ns string, vals map[string]any) (Rendered, error) {
	var r Rendered
	ch, err := Chart()
	if err != nil {
		return r, fmt.Errorf("load the chart: %w", err)
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: Name, Namespace: ns, IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return r, fmt.Errorf("chart values: %w", err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return r, fmt.Errorf("render the chart: %w", err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		if path.Base(n) == "NOTES.txt" {
			r.Notes = strings.TrimSpace(out[n])
			continue
		}
		if strings.HasPrefix(path.Base(n), "_") {
			continue
		}
		docs := releaseutil.SplitManifests(out[n])
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(docs[k]), &obj.Object); err != nil {
				return r, fmt.Errorf("%s: %w", n, err)
			}
			if len(obj.Object) == 0 {
				continue
			}
			fmt.Fprintf(h, "%s\n---\n", docs[k])
			r.Objects = append(r.Objects, obj)
		}
	}
	slices.SortStableFunc(r.Objects, func(a, b *unstructured.Unstructured) int { return rank(a.GetKind()) - rank(b.GetKind()) })
	r.Digest = hex.EncodeToString(h.Sum(nil))
	return r, nil
}

// installOrder is the order kinds are applied in (the reverse on removal).
var installOrder = []string{"Namespace", "ServiceAccount", "Secret", "ConfigMap", "ClusterRole", "ClusterRoleBinding",
	"Role", "RoleBinding", "Service", "StatefulSet", "Deployment"}

func rank(kind string) int {
	if i := slices.Index(installOrder, kind); i >= 0 {
		return i
	}
	return len(installOrder)
}

// Command deployrender prints, as one YAML stream, the manifests that
// deploy-kamonohashi's deploy app applies for the configuration in -dir
// (inventory, settings with the namespace -ns, secrets): bench/deploy.sh
// applies them with kubectl as the baseline of deploy app.
package main

import (
	"flag"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/release"
)

func main() {
	dir := flag.String("dir", "", "deploy-kamonohashi's working directory (KAMONOHASHI_DEPLOY_DIR)")
	ns := flag.String("ns", "", "namespace to render into")
	admin := flag.String("admin-password", "bench-admin-1", "admin password of the rendered Secret")
	flag.Parse()
	if err := run(*dir, *ns, *admin); err != nil {
		fmt.Fprintln(os.Stderr, "deployrender:", err)
		os.Exit(1)
	}
}

func run(dir, ns, admin string) error {
	p := config.Paths{Dir: dir}
	inv, err := config.LoadInventory(p.Inventory())
	if err != nil {
		return err
	}
	s, err := config.LoadSettings(p.Settings(), inv)
	if err != nil {
		return err
	}
	sec, err := config.LoadSecrets(p.Secrets())
	if err != nil {
		return err
	}
	r, err := release.Render(ns, release.Values(inv, s, sec, admin))
	if err != nil {
		return err
	}
	for _, o := range r.Objects {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		fmt.Printf("---\n%s", b)
	}
	return nil
}

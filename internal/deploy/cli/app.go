package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/release"
)

// k3sKubeconfig is where k3s writes its admin kubeconfig on the master.
const k3sKubeconfig = "/etc/rancher/k3s/k3s.yaml"

// kube is the cluster of the web system.
type kube struct {
	cfg *rest.Config
	*release.Cluster
}

func (a *app) kubeFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.kubeconfig, "kubeconfig", "", "kubeconfig of an existing cluster (default: k3s's, read from the master over SSH)")
}

// kube connects to the cluster: the --kubeconfig file, else k3s's
// kubeconfig read from the master with its server rewritten to the
// master's address.
func (a *app) kube(ctx context.Context, inv config.Inventory, s config.Settings) (*kube, error) {
	var cfg *rest.Config
	var err error
	if a.kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", a.kubeconfig)
	} else {
		cfg, err = a.masterKubeconfig(ctx, inv)
	}
	if err != nil {
		return nil, err
	}
	c, err := release.Connect(cfg, s.Kamonohashi.Namespace)
	if err != nil {
		return nil, err
	}
	return &kube{cfg: cfg, Cluster: c}, nil
}

func (a *app) masterKubeconfig(ctx context.Context, inv config.Inventory) (*rest.Config, error) {
	d, err := a.dialer()
	if err != nil {
		return nil, err
	}
	m := inv.Master()
	c := connect(ctx, d, inv, []config.Host{m})
	defer c.Close()
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	res, err := c.clients[m.Name].Sudo(ctx, "cat "+k3sKubeconfig, nil)
	if err != nil {
		return nil, err
	}
	if !res.OK() {
		return nil, fmt.Errorf("%s: no %s (run `deploy infra` first, or give --kubeconfig)", m.Name, k3sKubeconfig)
	}
	kc := strings.ReplaceAll(res.Stdout, "https://127.0.0.1:6443", "https://"+m.Address+":6443")
	return clientcmd.RESTConfigFromKubeConfig([]byte(kc))
}

// installed reads the web system's Secret: its admin and database
// passwords, when the chart was installed before.
func (k *kube) installed(ctx context.Context) (admin, db string, ok bool, err error) {
	s, err := k.Client.CoreV1().Secrets(k.NS).Get(ctx, release.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("read secret %s/%s: %w", k.NS, release.Name, err)
	}
	return string(s.Data["admin-password"]), string(s.Data["database-password"]), true, nil
}

// completeSecrets makes the secrets deploy app needs and secrets.yaml
// lacks; it writes the file unless dryRun.
func (a *app) completeSecrets(dryRun bool) (config.Secrets, error) {
	sec, err := config.LoadSecrets(a.paths.Secrets())
	if err != nil || (sec.DBPassword != "" && sec.ServerKey != "") {
		return sec, err
	}
	if sec.DBPassword == "" {
		sec.DBPassword = randomSecret()
	}
	if sec.ServerKey == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		sec.ServerKey = base64.StdEncoding.EncodeToString(b)
	}
	if dryRun {
		return sec, nil
	}
	return sec, a.writeSecrets(sec)
}

func (a *app) writeSecrets(sec config.Secrets) error {
	res, err := config.Write(a.paths.Secrets(), config.RenderSecrets(sec), 0o600, a.io.Now())
	if err != nil {
		return err
	}
	a.say("wrote the secrets to %s (mode 0600)", a.paths.Secrets())
	if res.Backup != "" {
		a.say("previous secrets kept as %s (mode 0600)", res.Backup)
	}
	return nil
}

// applyApp renders the chart for sec and installs or upgrades it. The
// admin password of an installed release is kept (it seeds the first start
// only); a database password that differs from the installed one is first
// changed inside PostgreSQL.
func (a *app) applyApp(ctx context.Context, k *kube, inv config.Inventory, s config.Settings, sec config.Secrets, admin string, dryRun bool) error {
	oldAdmin, oldDB, ok, err := k.installed(ctx)
	if err != nil {
		return err
	}
	if ok {
		admin = oldAdmin
	}
	r, err := release.Render(s.Kamonohashi.Namespace, release.Values(inv, s, sec, admin))
	if err != nil {
		return err
	}
	if dryRun {
		rec, installed, err := k.Record(ctx)
		switch {
		case err != nil:
			return err
		case installed && rec.Digest == r.Digest:
			a.say("web system (namespace %s): already done (revision %d)", k.NS, rec.Revision)
		default:
			a.say("web system (namespace %s): would apply %d objects", k.NS, len(r.Objects))
		}
		return nil
	}
	if ok && oldDB != sec.DBPassword {
		if err := k.SetDatabasePassword(ctx, k.cfg, "kqi", sec.DBPassword); err != nil {
			return fmt.Errorf("change the database password: %w; nothing was changed in the cluster", err)
		}
		a.say("database password changed in PostgreSQL")
	}
	res, err := k.Install(ctx, r)
	if err != nil {
		return err
	}
	if !res.Changed {
		a.say("nothing to change: the web system is installed as configured (revision %d)", res.Revision)
	} else {
		a.say("web system applied: revision %d, %d objects, %d removed", res.Revision, res.Applied, res.Removed)
	}
	node := inv.Kamonohashi().Name
	if _, err := k.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		a.say("warning: node %s is not in the cluster: the server and PostgreSQL wait until it joins", node)
	}
	a.say("%s", r.Notes)
	return nil
}

// deployApp is deploy app's cluster part (after the host steps).
func (a *app) deployApp(ctx context.Context, k *kube, inv config.Inventory, s config.Settings, admin string, dryRun bool) error {
	sec, err := a.completeSecrets(dryRun)
	if err != nil {
		return err
	}
	if err := a.applyApp(ctx, k, inv, s, sec, admin, dryRun); err != nil {
		return err
	}
	a.say("access URL: %s", accessURL(inv, s))
	return nil
}

// askAdmin asks the admin password unless the web system is installed
// (then the password it was first given stays).
func (a *app) askAdmin(ctx context.Context, k *kube) (string, error) {
	if k != nil {
		if _, _, ok, err := k.installed(ctx); err == nil && ok {
			return "", nil
		}
	}
	return a.adminPassword()
}

func (a *app) updateApp(ctx context.Context) error {
	inv, s, err := a.load()
	if err != nil {
		return err
	}
	k, err := a.kube(ctx, inv, s)
	if err != nil {
		return err
	}
	if _, ok, err := k.Record(ctx); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("update app: the web system is not installed in namespace %s; run `deploy app`", s.Kamonohashi.Namespace)
	}
	return a.deployApp(ctx, k, inv, s, "", false)
}

func (a *app) cleanApp(ctx context.Context, inv config.Inventory, s config.Settings, dryRun bool) error {
	k, err := a.kube(ctx, inv, s)
	if err != nil {
		return err
	}
	rec, ok, err := k.Record(ctx)
	switch {
	case err != nil:
		return err
	case !ok:
		a.say("web system: already removed (namespace %s)", k.NS)
		return nil
	case dryRun:
		a.say("web system: would remove %d objects (revision %d)", len(rec.Objects), rec.Revision)
		return nil
	}
	n, err := k.Uninstall(ctx)
	if err != nil {
		return err
	}
	a.say("web system removed: %d objects (the namespace %s and PostgreSQL's files on %s are kept)", n, k.NS, inv.Kamonohashi().Name)
	return nil
}

// applyCredentials brings rotated secrets to the cluster when it is
// reachable and the web system installed; secrets.yaml is written only
// after the cluster took them.
func (a *app) applyCredentials(ctx context.Context, sec config.Secrets) error {
	inv, s, err := a.load()
	if err != nil {
		return err
	}
	k, err := a.kube(ctx, inv, s)
	if err == nil {
		var ok bool
		if _, ok, err = k.Record(ctx); err == nil && ok {
			if err := a.applyApp(ctx, k, inv, s, sec, "", false); err != nil {
				return fmt.Errorf("%w; %s is unchanged", err, a.paths.Secrets())
			}
			return a.writeSecrets(sec)
		}
	}
	if err := a.writeSecrets(sec); err != nil {
		return err
	}
	why := "the web system is not installed"
	if err != nil {
		why = "the cluster is not reachable: " + err.Error()
	}
	a.say("they reach the cluster with the next deploy app (%s)", why)
	return nil
}

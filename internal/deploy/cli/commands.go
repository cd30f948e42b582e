package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/check"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/plan"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/prompt"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

func (a *app) prepareCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "prepare",
		Short: "Prepare this control host: directories, the tool's SSH key, the k3s bundle",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.prepare() },
	}
}

func (a *app) prepare() error {
	changed := false
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{a.paths.Dir, 0o755}, {a.paths.Conf(), 0o755}, {filepath.Dir(a.paths.SSHKey()), 0o700}, {a.paths.Bundle(), 0o755}} {
		if _, err := os.Stat(d.path); err == nil {
			continue
		}
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return err
		}
		a.say("created %s", d.path)
		changed = true
	}
	if _, err := os.Stat(a.paths.SSHKey()); errors.Is(err, os.ErrNotExist) {
		if err := writeKey(a.paths.SSHKey()); err != nil {
			return fmt.Errorf("SSH key: %w", err)
		}
		a.say("created the tool's SSH key %s (add %s.pub to the SSH user's authorized_keys, or log in with -k)", a.paths.SSHKey(), a.paths.SSHKey())
		changed = true
	} else if err != nil {
		return err
	}
	if b := plan.FindBundle(a.paths.Bundle()); b.Binary != "" {
		a.say("k3s air-gap bundle found in %s: hosts get k3s from it", a.paths.Bundle())
	} else {
		a.say("no k3s air-gap bundle in %s: hosts download k3s from the settings' releaseURL (put %s and %s there for machines without internet)",
			a.paths.Bundle(), plan.BundleBinary, plan.BundleImages)
	}
	if !changed {
		a.say("nothing to change: this host is prepared")
	}
	return nil
}

func writeKey(path string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "deploy-kamonohashi")
	if err != nil {
		return err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}

func (a *app) checkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Preflight every host: login, sudo, OS, CPU, memory, disk, GPU driver, clock, names, ports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, _, err := a.load()
			if err != nil {
				return err
			}
			d, err := a.dialer()
			if err != nil {
				return err
			}
			c := &check.Checker{Dialer: d, Now: a.io.Now}
			if n := check.Print(a.out, c.Run(cmd.Context(), inv)); n > 0 {
				return fmt.Errorf("check found %d problems; fix them and run check again", n)
			}
			return nil
		},
	}
	a.loginFlags(cmd)
	return cmd
}

// connected are the logged-in hosts of a run.
type connected struct {
	clients map[string]*remote.Client
	runners map[string]plan.Runner
	errs    []error
}

func (c *connected) Close() {
	for _, cl := range c.clients {
		cl.Close()
	}
}

// connect logs in to hosts at once; failures are collected, one per host.
func connect(ctx context.Context, d *remote.Dialer, inv config.Inventory, hosts []config.Host) *connected {
	c := &connected{clients: map[string]*remote.Client{}, runners: map[string]plan.Runner{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			cl, err := d.Dial(ctx, check.Target(inv, h))
			if err == nil {
				// A wrong sudo password shows here, before any step.
				if _, err = cl.Sudo(ctx, "true", nil); err != nil {
					cl.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.errs = append(c.errs, err)
				return
			}
			c.clients[h.Name], c.runners[h.Name] = cl, cl
		})
	}
	wg.Wait()
	return c
}

// report prints the login failures; a real run stops on any.
func (a *app) report(c *connected, dryRun bool) error {
	for _, err := range c.errs {
		a.say("FAIL %v", err)
	}
	if len(c.errs) > 0 && !dryRun {
		return fmt.Errorf("%d hosts could not be reached or logged in to; nothing was changed", len(c.errs))
	}
	return nil
}

type runFlags struct {
	dryRun, showCommands bool
}

func (f *runFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "check each step on its host and print what would run; change nothing")
	cmd.Flags().BoolVar(&f.showCommands, "show-commands", false, "with --dry-run, print the commands of the steps that would run")
}

func targetArg(cmd *cobra.Command, args []string) (plan.Target, error) {
	switch t := plan.Target(args[0]); t {
	case plan.All, plan.Infra, plan.App:
		return t, nil
	}
	return "", fmt.Errorf("%s: %q is not one of all, infra, app", cmd.Name(), args[0])
}

func (a *app) deployCmd() *cobra.Command {
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "deploy all|infra|app",
		Short: "Install Kubernetes (k3s), the NFS export and the web system",
		Long: `deploy infra installs k3s on the master and joins every other host (GPU
nodes with the NVIDIA runtime and device plugin), exports the NFS path from
the storage host and installs the NFS client everywhere. deploy app makes
PostgreSQL's directory on the kamonohashi host and installs the web system:
the chart charts/kamonohashi (built into this tool) rendered and applied to
the cluster, whose kubeconfig is read from the master or given with
--kubeconfig. deploy all is infra then app. Every step checks first and acts
only when needed, so a re-run resumes or changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := targetArg(cmd, args)
			if err != nil {
				return err
			}
			return a.deploy(cmd.Context(), t, rf)
		},
	}
	a.loginFlags(cmd)
	a.kubeFlag(cmd)
	rf.add(cmd)
	return cmd
}

func (a *app) deploy(ctx context.Context, t plan.Target, rf runFlags) error {
	inv, s, err := a.load()
	if err != nil {
		return err
	}
	p := plan.Planner{Inv: inv, Settings: s, Bundle: plan.FindBundle(a.paths.Bundle())}
	var k *kube
	admin := ""
	if t != plan.Infra {
		// Before infra the cluster may not exist yet: then connect after it.
		k, _ = a.kube(ctx, inv, s)
		if admin, err = a.askAdmin(ctx, k); err != nil {
			return err
		}
	}
	if err := a.execute(ctx, inv, inv.Hosts, p.Deploy(t), rf); err != nil || t == plan.Infra {
		return err
	}
	if k == nil {
		if k, err = a.kube(ctx, inv, s); err != nil {
			if rf.dryRun {
				a.say("web system: not checked (%v)", err)
				a.say("access URL (once the web system is deployed): %s", accessURL(inv, s))
				return nil
			}
			return err
		}
	}
	return a.deployApp(ctx, k, inv, s, admin, rf.dryRun)
}

func accessURL(inv config.Inventory, s config.Settings) string {
	u := "http://" + inv.Kamonohashi().Name
	if p := s.Kamonohashi.HTTPPort; p != 80 {
		u += fmt.Sprintf(":%d", p)
	}
	return u + "/"
}

// execute logs in to hosts and runs steps.
func (a *app) execute(ctx context.Context, inv config.Inventory, hosts []config.Host, steps []plan.Step, rf runFlags) error {
	d, err := a.dialer()
	if err != nil {
		return err
	}
	c := connect(ctx, d, inv, hosts)
	defer c.Close()
	if err := a.report(c, rf.dryRun); err != nil {
		return err
	}
	if rf.dryRun {
		a.say("plan (dry run: only the checks run on the hosts):")
	}
	ex := &plan.Executor{Hosts: c.runners, Out: a.out, DryRun: rf.dryRun, ShowCommands: rf.showCommands}
	o, err := ex.Run(ctx, steps)
	if err != nil {
		return fmt.Errorf("%w\n(the steps before it are done; fix the cause and run the same command again to resume)", err)
	}
	a.say("%s", o.Summary(rf.dryRun))
	return nil
}

func (a *app) cleanCmd() *cobra.Command {
	var rf runFlags
	var yes bool
	cmd := &cobra.Command{
		Use:   "clean app|infra|all",
		Short: "Uninstall the web system, Kubernetes, or both (data on the NFS path is kept)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := targetArg(cmd, args)
			if err != nil {
				return err
			}
			inv, s, err := a.load()
			if err != nil {
				return err
			}
			if !rf.dryRun && !yes {
				ok, err := a.prompt.Confirm(prompt.AskConfirmClean, t)
				if err != nil {
					return err
				}
				if !ok {
					a.say("%s", prompt.T(a.lang, prompt.Aborted))
					return nil
				}
			}
			if t != plan.Infra {
				if err := a.cleanApp(cmd.Context(), inv, s, rf.dryRun); err != nil {
					return err
				}
				if t == plan.App {
					return nil
				}
			}
			return a.execute(cmd.Context(), inv, inv.Hosts, plan.Planner{Inv: inv, Settings: s}.Clean(t), rf)
		},
	}
	a.loginFlags(cmd)
	a.kubeFlag(cmd)
	rf.add(cmd)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) updateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "update", Short: "Update the web system or join new compute nodes"}
	app := &cobra.Command{
		Use:   "app",
		Short: "Upgrade the web system to this tool's chart and image (the server migrates its database at start-up)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.updateApp(cmd.Context()) },
	}
	a.loginFlags(app)
	a.kubeFlag(app)
	var rf runFlags
	nodeConf := &cobra.Command{
		Use:   "node-conf",
		Short: "Join the compute nodes added to the inventory, without touching the others",
		Long: `node-conf asks the cluster which nodes it has (k3s on the master over SSH,
or the API of --kubeconfig) and runs the NFS client and join steps only on
the inventory's hosts it lacks; the master is contacted for its join token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.nodeConf(cmd.Context(), rf) },
	}
	a.loginFlags(nodeConf)
	a.kubeFlag(nodeConf)
	rf.add(nodeConf)
	cmd.AddCommand(app, nodeConf)
	return cmd
}

func (a *app) nodeConf(ctx context.Context, rf runFlags) error {
	inv, s, err := a.load()
	if err != nil {
		return err
	}
	joined, err := a.joinedNodes(ctx, inv, s)
	if err != nil {
		return err
	}
	steps, joining := plan.Planner{Inv: inv, Settings: s, Bundle: plan.FindBundle(a.paths.Bundle())}.NodeConf(joined)
	if len(joining) == 0 {
		a.say("nothing to change: every host of the inventory has joined the cluster")
		return nil
	}
	names := make([]string, len(joining))
	for i, h := range joining {
		names[i] = h.Name
	}
	a.say("joining: %s (nodes already in the cluster and their jobs are not touched)", strings.Join(names, ", "))
	return a.execute(ctx, inv, append([]config.Host{inv.Master()}, joining...), steps, rf)
}

// joinedNodes are the cluster's node names: from the API of --kubeconfig,
// else from k3s on the master over SSH.
func (a *app) joinedNodes(ctx context.Context, inv config.Inventory, s config.Settings) ([]string, error) {
	if a.kubeconfig != "" {
		k, err := a.kube(ctx, inv, s)
		if err != nil {
			return nil, err
		}
		return k.NodeNames(ctx)
	}
	d, err := a.dialer()
	if err != nil {
		return nil, err
	}
	m := inv.Master()
	mc := connect(ctx, d, inv, []config.Host{m})
	defer mc.Close()
	if err := a.report(mc, false); err != nil {
		return nil, err
	}
	res, err := mc.clients[m.Name].Sudo(ctx, plan.JoinedNodesCommand, nil)
	if err != nil {
		return nil, err
	}
	switch {
	case res.Exit == 3:
		return nil, fmt.Errorf("%s: k3s is not installed; run `deploy infra` first", m.Name)
	case !res.OK():
		return nil, fmt.Errorf("%s: list the cluster's nodes: %s", m.Name, strings.TrimSpace(res.Stderr))
	}
	return strings.Fields(res.Stdout), nil
}

func (a *app) credentialsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials db|storage|all",
		Short: "Rotate the database and storage secrets in the secrets file (mode 0600) and apply them to the cluster",
		Long: `credentials makes new secrets and, when the web system is installed,
applies them: the database password is changed inside PostgreSQL (ALTER USER
through the pod) and the chart's Secret updated, which restarts the server.
The secrets file is written after the cluster took them; without a reachable
cluster it is written and the next deploy app applies it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			which := args[0]
			if which != "db" && which != "storage" && which != "all" {
				return fmt.Errorf("credentials: %q is not one of db, storage, all", which)
			}
			sec, err := config.LoadSecrets(a.paths.Secrets())
			if err != nil {
				return err
			}
			if which == "db" || which == "all" {
				sec.DBPassword = randomSecret()
			}
			if which == "storage" || which == "all" {
				sec.StorageSecretKey = randomSecret()
			}
			return a.applyCredentials(cmd.Context(), sec)
		},
	}
	a.loginFlags(cmd)
	a.kubeFlag(cmd)
	return cmd
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

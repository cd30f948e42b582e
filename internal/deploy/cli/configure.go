package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/prompt"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/resolve"
)

// Answers are configure's questions, from flags, a file (--from) or prompts.
type Answers struct {
	Master      string `yaml:"master"`
	Kamonohashi string `yaml:"kamonohashi"`
	Storage     string `yaml:"storage"`
	Nodes       string `yaml:"nodes"`
	CPUNodes    string `yaml:"cpuNodes"`
	SSHUser     string `yaml:"sshUser"`
}

func (a *app) configureCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "configure", Short: "Write the inventory and settings (asks the guide's questions)"}
	var ans Answers
	var from string
	cluster := &cobra.Command{
		Use:   "cluster",
		Short: "Configure the four roles on separate machines",
		Long: `Asks the Kubernetes master, the KAMONOHASHI server, the Storage server (or
nfs://server/path for an external NFS), the compute nodes (comma separated)
and the SSH user; a name may carry an SSH port as name:port. Answers given as
flags or in a YAML file (--from; keys master, kamonohashi, storage, nodes,
cpuNodes, sshUser) are not asked. Compute nodes are GPU nodes unless listed
in --cpu-nodes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from != "" {
				var f Answers
				if err := config.DecodeFile(from, &f); err != nil {
					return err
				}
				ans = merge(ans, f)
			}
			return a.configureCluster(cmd.Context(), ans)
		},
	}
	f := cluster.Flags()
	f.StringVar(&ans.Master, "master", "", "Kubernetes master server")
	f.StringVar(&ans.Kamonohashi, "kamonohashi", "", "KAMONOHASHI (web system) server")
	f.StringVar(&ans.Storage, "storage", "", "Storage server, or nfs://server/path for an external NFS")
	f.StringVar(&ans.Nodes, "nodes", "", "compute nodes, comma separated")
	f.StringVar(&ans.CPUNodes, "cpu-nodes", "", "compute nodes without GPUs, comma separated")
	f.StringVar(&ans.SSHUser, "ssh-user", "", "SSH user")
	f.StringVar(&from, "from", "", "YAML file with the answers")

	var host string
	single := &cobra.Command{
		Use:   "single-node",
		Short: "Configure every role on this machine (asks only the SSH user)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if host == "" {
				h, err := os.Hostname()
				if err != nil {
					return err
				}
				host = h
			}
			ans.Master, ans.Kamonohashi, ans.Storage, ans.Nodes = host, host, host, host
			return a.configureCluster(cmd.Context(), ans)
		},
	}
	single.Flags().StringVar(&ans.SSHUser, "ssh-user", "", "SSH user")
	single.Flags().StringVar(&host, "host", "", "this machine's name[:port] (default: its hostname)")
	cmd.AddCommand(cluster, single)
	return cmd
}

func merge(flags, file Answers) Answers {
	pick := func(a, b string) string { return firstOf(a, b) }
	return Answers{
		Master: pick(flags.Master, file.Master), Kamonohashi: pick(flags.Kamonohashi, file.Kamonohashi),
		Storage: pick(flags.Storage, file.Storage), Nodes: pick(flags.Nodes, file.Nodes),
		CPUNodes: pick(flags.CPUNodes, file.CPUNodes), SSHUser: pick(flags.SSHUser, file.SSHUser),
	}
}

// builder collects hosts by name as the answers come in.
type builder struct {
	a     *app
	ctx   context.Context
	inv   config.Inventory
	extNF *config.Storage
}

// add resolves spec and gives it role r (a name given twice gets both roles).
func (b *builder) add(spec prompt.HostSpec, r config.Role) error {
	for i, h := range b.inv.Hosts {
		if h.Name != spec.Name {
			continue
		}
		if spec.Port != 0 && h.Port != 0 && spec.Port != h.Port {
			return fmt.Errorf("%s: given with two SSH ports (%d and %d)", spec.Name, h.Port, spec.Port)
		}
		b.inv.Hosts[i].Port = max(h.Port, spec.Port)
		if !h.Has(r) {
			b.inv.Hosts[i].Roles = append(b.inv.Hosts[i].Roles, r)
		}
		return nil
	}
	addr, err := b.a.resolver().Resolve(b.ctx, spec.Name)
	if err != nil {
		return b.a.resolveErr(err)
	}
	b.inv.Hosts = append(b.inv.Hosts, config.Host{Name: spec.Name, Address: addr, Port: spec.Port, Roles: []config.Role{r}})
	return nil
}

func (a *app) resolveErr(err error) error {
	var nf *resolve.NotFoundError
	var lb *resolve.LoopbackError
	switch {
	case errors.As(err, &nf):
		return prompt.Errorf(a.lang, prompt.ErrNotResolved, nf.Name)
	case errors.As(err, &lb):
		return prompt.Errorf(a.lang, prompt.ErrLoopback, lb.Name, lb.Addr)
	}
	return err
}

// ask takes the answer given, or asks m until take accepts the answer.
func (a *app) ask(given string, m prompt.Msg, take func(string) error) error {
	if given != "" {
		return take(given)
	}
	_, err := a.prompt.Until(func() (string, error) { return a.prompt.Line(m, "") }, take)
	return err
}

func (a *app) configureCluster(ctx context.Context, ans Answers) error {
	b := &builder{a: a, ctx: ctx}
	l := a.lang
	one := func(r config.Role) func(string) error {
		return func(s string) error {
			spec, err := prompt.ParseHost(l, s)
			if err != nil {
				return err
			}
			return b.add(spec, r)
		}
	}
	// A refused answer must not leave a host behind: add on a copy.
	atomic := func(take func(string) error) func(string) error {
		return func(s string) error {
			saved := cloneInv(b.inv)
			if err := take(s); err != nil {
				b.inv = saved
				return err
			}
			return nil
		}
	}
	if err := a.ask(ans.Master, prompt.AskMaster, atomic(one(config.RoleMaster))); err != nil {
		return err
	}
	if err := a.ask(ans.Kamonohashi, prompt.AskKamonohashi, atomic(one(config.RoleKamonohashi))); err != nil {
		return err
	}
	storage := func(s string) error {
		if strings.HasPrefix(s, "nfs://") {
			u, err := url.Parse(s)
			if err != nil || u.Hostname() == "" || !path.IsAbs(u.Path) {
				return fmt.Errorf("%q: write an external NFS as nfs://server/absolute/path", s)
			}
			if _, err := a.resolver().Resolve(ctx, u.Hostname()); err != nil {
				return a.resolveErr(err)
			}
			b.extNF = &config.Storage{NFSServer: u.Hostname(), NFSPath: u.Path, External: true}
			return nil
		}
		return one(config.RoleStorage)(s)
	}
	if err := a.ask(ans.Storage, prompt.AskStorage, atomic(storage)); err != nil {
		return err
	}
	nodes := func(s string) error {
		specs, err := prompt.ParseHostList(l, s)
		if err != nil {
			return err
		}
		for _, sp := range specs {
			if err := b.add(sp, config.RoleCompute); err != nil {
				return err
			}
		}
		return nil
	}
	if err := a.ask(ans.Nodes, prompt.AskNodes, atomic(nodes)); err != nil {
		return err
	}
	var cpu []string
	if ans.CPUNodes != "" {
		specs, err := prompt.ParseHostList(l, ans.CPUNodes)
		if err != nil {
			return fmt.Errorf("--cpu-nodes: %w", err)
		}
		for _, sp := range specs {
			cpu = append(cpu, sp.Name)
		}
	}
	for i, h := range b.inv.Hosts {
		b.inv.Hosts[i].GPU = h.Has(config.RoleCompute) && !slices.Contains(cpu, h.Name)
	}
	if err := a.ask(ans.SSHUser, prompt.AskSSHUser, func(s string) error {
		if err := prompt.NonEmpty(l)(s); err != nil {
			return err
		}
		b.inv.SSHUser = strings.TrimSpace(s)
		return nil
	}); err != nil {
		return err
	}
	if err := b.inv.Validate(); err != nil {
		return err
	}
	s := config.DefaultSettings(b.inv, a.io.Getenv)
	if b.extNF != nil {
		s.Storage = *b.extNF
		s.Proxy.NoProxy = config.CompleteNoProxy(s.Proxy.NoProxy, b.inv, s)
	}
	if err := s.Validate(b.inv); err != nil {
		return err
	}
	return a.writeConf(b.inv, s)
}

func cloneInv(inv config.Inventory) config.Inventory {
	out := inv
	out.Hosts = make([]config.Host, len(inv.Hosts))
	for i, h := range inv.Hosts {
		h.Roles = slices.Clone(h.Roles)
		out.Hosts[i] = h
	}
	return out
}

// writeConf writes the inventory and settings, keeping earlier versions.
func (a *app) writeConf(inv config.Inventory, s config.Settings) error {
	now := a.io.Now()
	for _, f := range []struct {
		path string
		data []byte
	}{
		{a.paths.Inventory(), config.RenderInventory(inv)},
		{a.paths.Settings(), config.RenderSettings(s)},
	} {
		res, err := config.Write(f.path, f.data, 0o644, now)
		if err != nil {
			return err
		}
		switch {
		case !res.Changed:
			a.say("unchanged %s", f.path)
		case res.Backup != "":
			a.say("wrote %s (previous version kept as %s)", f.path, res.Backup)
		default:
			a.say("wrote %s", f.path)
		}
	}
	for _, h := range inv.Hosts {
		a.say("  %-16s %-15s %s", h.Name, h.Address, strings.Join(roleStrings(h.Roles), ","))
	}
	a.say("next: deploy-kamonohashi check, then deploy-kamonohashi deploy all (-k -K when SSH and sudo need passwords)")
	return nil
}

func roleStrings(rs []config.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

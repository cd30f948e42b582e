// Package cli is the command tree of deploy-kamonohashi: it reads the
// environment and flags, asks what it must, and hands the work to the
// deploy packages (config, prompt, resolve, remote, check, plan). Every run
// is logged to a dated file under the log directory.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/prompt"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/resolve"
	"github.com/kamonohashi-go/kamonohashi/internal/version"
)

// Environment variables the tool reads.
const (
	EnvDir           = "KAMONOHASHI_DEPLOY_DIR"
	EnvLogDir        = "KAMONOHASHI_DEPLOY_LOG_DIR"
	EnvAdminPassword = "KAMONOHASHI_ADMIN_PASSWORD"
	EnvSSHPassword   = "KAMONOHASHI_DEPLOY_SSH_PASSWORD"
	EnvSudoPassword  = "KAMONOHASHI_DEPLOY_SUDO_PASSWORD"
	// Test-only: a hosts file read instead of /etc/hosts, and loopback
	// addresses accepted (the tests' hosts are sshd processes on 127.0.0.1).
	EnvTestHostsFile     = "KAMONOHASHI_DEPLOY_TEST_HOSTS_FILE"
	EnvTestAllowLoopback = "KAMONOHASHI_DEPLOY_TEST_ALLOW_LOOPBACK"
)

// Defaults of the working and log directories (the install guide's places).
const (
	DefaultDir    = "/var/lib/kamonohashi/deploy"
	DefaultLogDir = "/var/log/kamonohashi/deploy-tools"
)

// IO is what a run talks to.
type IO struct {
	In     io.Reader // *os.File for hidden password input
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// app is one run: its directories, output (teed into the run log) and prompter.
type app struct {
	io      IO
	paths   config.Paths
	logDir  string
	out     io.Writer
	prompt  *prompt.Prompter
	lang    prompt.Lang
	logFile *os.File
	// flags shared by the commands that log in to hosts
	askSSH, askSudo, strictHostKeys bool
	kubeconfig                      string // --kubeconfig of the app commands
}

// Main runs the tool with args and returns the exit status.
func Main(ctx context.Context, args []string, stdio IO) int {
	a := &app{io: stdio, lang: prompt.LangFromEnv(stdio.Getenv)}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if a.logFile != nil {
		if err != nil {
			fmt.Fprintf(a.logFile, "error: %v\n", err)
		}
		fmt.Fprintf(a.logFile, "== end %s\n", a.io.Now().Format(time.RFC3339))
		a.logFile.Close()
	}
	if err != nil {
		fmt.Fprintln(stdio.Err, "deploy-kamonohashi:", err)
		return 1
	}
	return 0
}

func (a *app) root() *cobra.Command {
	var dir, logDir string
	root := &cobra.Command{
		Use:           "deploy-kamonohashi",
		Short:         "Install KAMONOHASHI on a cluster: Kubernetes master, web system, storage and compute nodes",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.start(cmd, dir, logDir)
		},
	}
	root.PersistentFlags().StringVar(&dir, "dir", "", "working directory (inventory, settings, keys; env "+EnvDir+", default "+DefaultDir+")")
	root.PersistentFlags().StringVar(&logDir, "log-dir", "", "directory of the run logs (env "+EnvLogDir+", default "+DefaultLogDir+")")
	root.AddCommand(a.prepareCmd(), a.configureCmd(), a.deployCmd(), a.cleanCmd(), a.updateCmd(), a.credentialsCmd(), a.checkCmd())
	return root
}

// start resolves the directories and opens the run log.
func (a *app) start(cmd *cobra.Command, dir, logDir string) error {
	a.paths = config.Paths{Dir: firstOf(dir, a.io.Getenv(EnvDir), DefaultDir)}
	a.logDir = firstOf(logDir, a.io.Getenv(EnvLogDir), DefaultLogDir)
	if err := os.MkdirAll(a.logDir, 0o750); err != nil {
		return fmt.Errorf("log directory: %w", err)
	}
	now := a.io.Now()
	name := filepath.Join(a.logDir, "deploy_"+now.Format("20060102-150405")+".log")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	a.logFile = f
	fmt.Fprintf(f, "== %s deploy-kamonohashi %s (version %s)\n", now.Format(time.RFC3339), strings.Join(os.Args[1:], " "), version.Version)
	a.out = io.MultiWriter(a.io.Out, f)
	a.prompt = prompt.New(a.io.In, a.out, a.lang)
	return nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func (a *app) say(format string, args ...any) { fmt.Fprintf(a.out, format+"\n", args...) }

func (a *app) resolver() resolve.Resolver {
	return resolve.Resolver{
		HostsFile:         a.io.Getenv(EnvTestHostsFile),
		TestAllowLoopback: a.io.Getenv(EnvTestAllowLoopback) == "1",
	}
}

// load reads the inventory and settings; errors name the file, line and field.
func (a *app) load() (config.Inventory, config.Settings, error) {
	inv, err := config.LoadInventory(a.paths.Inventory())
	if err != nil {
		return inv, config.Settings{}, err
	}
	s, err := config.LoadSettings(a.paths.Settings(), inv)
	return inv, s, err
}

// loginFlags are -k and -K, as the original tool passed them to Ansible.
func (a *app) loginFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&a.askSSH, "ask-pass", "k", false, "ask the SSH password (env "+EnvSSHPassword+")")
	cmd.Flags().BoolVarP(&a.askSudo, "ask-become-pass", "K", false, "ask the sudo password, defaulting to the SSH password (env "+EnvSudoPassword+")")
	cmd.Flags().BoolVar(&a.strictHostKeys, "strict-host-keys", false, "refuse hosts whose key is not yet in the known_hosts file (default: record it on first contact)")
}

// dialer asks the SSH and sudo passwords that -k and -K call for.
func (a *app) dialer() (*remote.Dialer, error) {
	auth := remote.Auth{KeyFile: a.paths.SSHKey()}
	var err error
	if a.askSSH {
		if auth.Password, err = a.secret(EnvSSHPassword, prompt.AskSSHPassword, nil); err != nil {
			return nil, err
		}
	}
	if a.askSudo {
		// Automation that gives the SSH password alone means it for sudo too.
		if a.io.Getenv(EnvSudoPassword) == "" && a.io.Getenv(EnvSSHPassword) != "" {
			auth.Sudo = auth.Password
		} else if auth.Sudo, err = a.secret(EnvSudoPassword, prompt.AskSudoPassword, nil); err != nil {
			return nil, err
		}
		if auth.Sudo == "" {
			auth.Sudo = auth.Password
		}
		auth.HasSudo = true
	}
	return &remote.Dialer{Auth: auth, HostKeys: &remote.KnownHosts{File: a.paths.KnownHosts(), Strict: a.strictHostKeys, Out: a.out}}, nil
}

// secret takes a password from env, else asks it hidden; check (if any)
// refuses bad ones with the reason.
func (a *app) secret(env string, m prompt.Msg, check func(string) error) (string, error) {
	if v := a.io.Getenv(env); v != "" {
		if check != nil {
			if err := check(v); err != nil {
				return "", fmt.Errorf("%s: %w", env, err)
			}
		}
		return v, nil
	}
	if check == nil {
		return a.prompt.Secret(m)
	}
	return a.prompt.Until(func() (string, error) { return a.prompt.Secret(m) }, check)
}

// adminPassword asks the admin password, refused unless the policy holds.
func (a *app) adminPassword() (string, error) {
	return a.secret(EnvAdminPassword, prompt.AskAdmin, func(pw string) error { return prompt.CheckAdminPassword(a.lang, pw) })
}

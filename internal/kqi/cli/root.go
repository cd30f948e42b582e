// Package cli is kqi's command line: the original kqi's command groups
// and option names (cobra), with JSON or table output, progress bars and
// exit codes that scripts can rely on.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/config"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/transfer"
	"github.com/kamonohashi-go/kamonohashi/internal/version"
)

// Streams are the process's standard files.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// app is the state one run of kqi shares between its commands.
type app struct {
	Streams
	dir      string // ~/.kqi
	output   string
	quiet    bool
	parallel int
	started  bool // a command's own code ran: later errors are not usage errors
}

// Main runs kqi with args and returns the process's exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	a := &app{Streams: s}
	root := a.root()
	root.SetArgs(normalize(root, args))
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	err := root.ExecuteContext(ctx)
	code := exitCode(err, a.started)
	switch {
	case err == nil:
	case code == ExitInterrupted:
		msg := "interrupted"
		var inc *transfer.Incomplete
		if errors.As(err, &inc) {
			msg = fmt.Sprintf("interrupted (%d of %d files uploaded; nothing was registered: run the same command again to resume)",
				inc.Done, inc.Total)
		}
		fmt.Fprintln(s.Err, "kqi:", msg)
	case code == ExitUsage:
		fmt.Fprintf(s.Err, "kqi: %v (see `kqi --help`)\n", err)
	default:
		fmt.Fprintln(s.Err, "kqi:", err)
	}
	return code
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "kqi",
		Short: "The KAMONOHASHI command-line client",
		Long: `kqi uploads data, builds datasets, runs trainings, inferences and preprocessing,
follows their logs and downloads their outputs on a KAMONOHASHI server.

Its commands and options are those of the original kqi; log in first with
"kqi account login". Settings live in ~/.kqi/config.json (server, token,
proxy, timeout in seconds, expireDays).`,
		Example: `  kqi account login -s http://kamonohashi.example.com -u alice
  kqi data create -n mnist -f train.csv -f images/
  kqi training create -n run1 -rim python -rt 3.12 -d 3 -go team -gr model -e "python train.py" -c 1 -mem 2 -g 0
  kqi training logs -f 12 && kqi training wait 12
  kqi training download-container-files 12 -d out/`,
		Version:       version.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.output != "table" && a.output != "json" {
				return usageError{fmt.Errorf("--output %q: use json or table", a.output)}
			}
			if a.dir == "" {
				d, err := config.Dir()
				if err != nil {
					return err
				}
				a.dir = d
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp + "\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.output, "output", "table", "output format: table or json")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "no progress bars")
	pf.IntVar(&a.parallel, "parallel", 8, "files or parts transferred at a time")
	root.AddCommand(a.accountCmd(), a.dataCmd(), a.datasetCmd(), a.jobCmd(training), a.jobCmd(inference),
		a.preprocessingCmd(), a.tenantCmd())
	return root
}

// group is a command group; a word that is none of its commands is a
// usage error, not a help page that exits 0.
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, RunE: func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
		}
		return cmd.Help()
	}}
}

// run marks the point after which errors are the command's, not the
// command line's.
func (a *app) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		return fn(cmd, args)
	}
}

// config reads the settings file.
func (a *app) config() (config.Config, error) { return config.Load(a.dir) }

// client is a client of the configured server with the stored token.
func (a *app) client() (*client.Client, error) {
	c, err := a.config()
	if err != nil {
		return nil, err
	}
	if c.Server == "" || c.Token == "" {
		return nil, config.ErrNotLoggedIn
	}
	return newClient(c, c.Server, c.Token)
}

func newClient(c config.Config, server, token string) (*client.Client, error) {
	cl, err := client.New(server, token, client.Options{Proxy: c.Proxy, Timeout: c.RequestTimeout(),
		Agent: "kqi/" + version.Version})
	if err != nil {
		return nil, usageError{err}
	}
	return cl, nil
}

// progress is where bars are drawn: stderr when it is a terminal.
func (a *app) progress() io.Writer {
	if f, ok := a.Err.(*os.File); ok && !a.quiet && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}

func (a *app) uploader(c *client.Client, typ string) *transfer.Uploader {
	return &transfer.Uploader{API: c, HTTP: c.Transfers(), Server: c.Server(), Type: typ, Parallel: a.parallel,
		StateDir: filepath.Join(a.dir, "uploads"), Progress: a.progress()}
}

func (a *app) download(ctx context.Context, c *client.Client, items []transfer.Item) error {
	d := &transfer.Downloader{HTTP: c.Transfers(), Parallel: a.parallel, Progress: a.progress()}
	st, err := d.Download(ctx, items)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Err, "downloaded", st)
	return nil
}

// idClient parses the command's ID argument and makes the client.
func (a *app) idClient(args []string) (int64, *client.Client, error) {
	id, err := idArg(args, 0)
	if err != nil {
		return 0, nil, err
	}
	cl, err := a.client()
	return id, cl, err
}

// idArg parses the positional ID of a command.
func idArg(args []string, i int) (int64, error) {
	id, err := strconv.ParseInt(args[i], 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%q is not an ID: give a positive number", args[i])}
	}
	return id, nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Command kamonohashi is the KAMONOHASHI server and its administration commands.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kamonohashi-go/kamonohashi/internal/api"
	"github.com/kamonohashi-go/kamonohashi/internal/app"
	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "kamonohashi:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "kamonohashi",
		Short:         "KAMONOHASHI: train deep-learning models on your own GPU servers",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.AddCommand(serverCmd(), migrateCmd(), backupCmd(), userCmd(), openAPICmd(), jobCmd())
	return root
}

func loadConfig(cmd *cobra.Command) (config.Config, error) {
	return config.Load(cmd.Flags(), os.Getenv)
}

func serverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the API server (embedded defaults: SQLite and storage in the data directory)",
		Example: `  # everything in ~/.kamonohashi, UI and API on http://127.0.0.1:8080
  KAMONOHASHI_ADMIN_PASSWORD='choose-a-password' kamonohashi server

  # a cluster's web system on PostgreSQL
  kamonohashi server --addr :8080 --database-url postgres://kqi:secret@db:5432/kqi`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			return app.Serve(cmd.Context(), cfg, app.NewLogger(cfg), nil)
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and report the schema version",
		Long: "The server applies migrations at start-up too; run this to upgrade the schema\n" +
			"ahead of a rolling update or to check which version a database is at.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			db, err := store.Open(cmd.Context(), cfg.DatabaseURL, cfg.DataDir)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Migrate(cmd.Context(), log); err != nil {
				return err
			}
			cur, latest, err := db.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "database %s at schema version %d (latest %d)\n", db.Dialect, cur, latest)
			return nil
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func backupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent snapshot of the database to FILE while the server runs",
		Long: "SQLite: FILE is a SQLite database; to restore, stop the server and put FILE in\n" +
			"place of kamonohashi.db in the data directory (removing kamonohashi.db-wal and -shm).\n" +
			"PostgreSQL: FILE is a pg_dump custom-format archive; restore it with pg_restore.\n" +
			"Keep secret.key (or KAMONOHASHI_SECRET_KEY) with the backup: stored credentials need it.",
		Example: `  kamonohashi backup /backup/kamonohashi-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			db, err := store.Open(cmd.Context(), cfg.DatabaseURL, cfg.DataDir)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), args[0], cfg.DatabaseURL); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of the %s database written to %s\n", db.Dialect, args[0])
			return nil
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func userCmd() *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage users from the server host"}
	reset := &cobra.Command{
		Use:   "reset-password NAME",
		Short: "Set a user's password (asks for it, or reads one line from standard input)",
		Example: `  kamonohashi user reset-password admin
  echo 'new-password' | kamonohashi user reset-password alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			pw, err := readPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg.AdminPassword = "" // never seed from here
			a, err := app.New(ctx, cfg, app.NewLogger(config.Config{LogLevel: "warn", LogFormat: cfg.LogFormat}))
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Identity.ResetPasswordByName(ctx, args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed; its earlier tokens no longer work\n", args[0])
			return nil
		},
	}
	config.RegisterFlags(reset.Flags())
	user.AddCommand(reset)
	return user
}

// readPassword asks twice on a terminal, or reads one line otherwise.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func openAPICmd() *cobra.Command {
	return &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI document of the API (what GET /api/openapi.json serves)",
		Long: "Print the OpenAPI 3 document of the API to standard output. `make generate` types the web\n" +
			"console's API client from it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv := api.New(nil, slog.New(slog.DiscardHandler), "")
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(api.OpenAPI(srv.Routes(), version.Version))
		},
	}
}

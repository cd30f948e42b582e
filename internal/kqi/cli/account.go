package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kamonohashi-go/kamonohashi/internal/kqi/client"
	"github.com/kamonohashi-go/kamonohashi/internal/kqi/config"
)

func (a *app) accountCmd() *cobra.Command {
	cmd := group("account", "Log in, switch tenants and show your account")
	cmd.AddCommand(a.loginCmd(), a.switchTenantCmd(), a.accountGetCmd())
	return cmd
}

type tokenOut struct {
	Token      string `json:"token"`
	UserName   string `json:"userName"`
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	ExpiresIn  int64  `json:"expiresIn"`
}

func (a *app) loginCmd() *cobra.Command {
	var server, user, password, proxy string
	var tenant int64
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in and store the token in ~/.kqi/config.json",
		Long: `Log in to a KAMONOHASHI server. What is not given as an option is asked for;
the password without echo (or read as one line from standard input when it
is not a terminal). Without -s, the server of the last login is used.`,
		Example: `  kqi account login -s http://kamonohashi.example.com -u alice
  echo "$KQI_PASSWORD" | kqi account login -s http://127.0.0.1:8080 -u alice -t 2`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			c, err := a.config()
			if err != nil {
				return err
			}
			in := bufio.NewReader(a.In)
			if server == "" && proxy == "" && c.Server != "" {
				server = c.Server
			} else {
				c.Proxy = proxy
			}
			if server == "" {
				if server, err = a.prompt(in, "Server: "); err != nil {
					return err
				}
			}
			if user == "" {
				if user, err = a.prompt(in, "User: "); err != nil {
					return err
				}
			}
			if password == "" {
				if password, err = a.promptHidden(in, "Password: "); err != nil {
					return err
				}
			}
			cl, err := newClient(c, server, "")
			if err != nil {
				return err
			}
			body := map[string]any{"userName": user, "password": password, "tenantId": tenant}
			if e := c.ExpiresIn(); e > 0 {
				body["expiresIn"] = e
			}
			var out tokenOut
			if err := cl.Do(cmd.Context(), http.MethodPost, "/account/login", nil, body, &out); err != nil {
				var ae *client.APIError
				if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
					return authError{fmt.Errorf("login refused: %w", err)}
				}
				return err
			}
			c.Server, c.Token = cl.Server(), out.Token
			if err := config.Save(a.dir, c); err != nil {
				return err
			}
			return a.printToken(out)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&server, "server", "s", "", "API server URL like http://kamonohashi.example.com")
	f.StringVarP(&user, "user", "u", "", "user name (asked for when missing)")
	f.StringVarP(&password, "password", "p", "", "password (asked for without echo when missing)")
	f.Int64VarP(&tenant, "tenant", "t", 0, "a tenant ID (default: your default tenant)")
	f.StringVar(&proxy, "proxy", "", "HTTP proxy in the form http://user:password@host:port")
	return cmd
}

func (a *app) printToken(out tokenOut) error {
	if a.json() {
		out.Token = "" // it is in config.json; keep it out of logs
		return a.printJSON(out)
	}
	fmt.Fprintln(a.Out, "user name:", out.UserName)
	fmt.Fprintln(a.Out, "tenant:", out.TenantID, out.TenantName)
	_, err := fmt.Fprintln(a.Out, "expires in:", out.ExpiresIn, "seconds")
	return err
}

func (a *app) prompt(in *bufio.Reader, label string) (string, error) {
	if f, ok := a.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.Err, label)
	}
	line, err := in.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		return "", usageError{fmt.Errorf("no %s given", strings.ToLower(strings.TrimSuffix(label, ": ")))}
	}
	if err != nil && line == "" {
		return "", err
	}
	return line, nil
}

func (a *app) promptHidden(in *bufio.Reader, label string) (string, error) {
	f, ok := a.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return a.prompt(in, label)
	}
	fmt.Fprint(a.Err, label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.Err)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(b), nil
}

func (a *app) switchTenantCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "switch-tenant TENANT_ID",
		Short:   "Switch to another of your tenants",
		Example: "  kqi account switch-tenant 2",
		Args:    exactArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id, err := idArg(args, 0)
			if err != nil {
				return err
			}
			c, err := a.config()
			if err != nil {
				return err
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			body := map[string]any{}
			if e := c.ExpiresIn(); e > 0 {
				body["expiresIn"] = e
			}
			var out tokenOut
			if err := cl.Do(cmd.Context(), http.MethodPost, fmt.Sprintf("/account/tenants/%d/token", id), nil, body, &out); err != nil {
				return err
			}
			c.Token = out.Token
			if err := config.Save(a.dir, c); err != nil {
				return err
			}
			return a.printToken(out)
		}),
	}
}

func (a *app) accountGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get",
		Short: "Show your user, the selected tenant and your tenants",
		Args:  noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client()
			if err != nil {
				return err
			}
			var acc any
			if err := cl.Do(cmd.Context(), http.MethodGet, "/account", nil, nil, &acc); err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(acc)
			}
			sel := field(acc, "selectedTenant.id")
			fmt.Fprintln(a.Out, "user name:", cell(field(acc, "userName")))
			fmt.Fprintln(a.Out, "selected tenant:", cell(sel), cell(field(acc, "selectedTenant.displayName")))
			fmt.Fprintln(a.Out, "assigned tenants:")
			ts, _ := field(acc, "tenants").([]any)
			for _, t := range ts {
				mark := " "
				if field(t, "id") == sel {
					mark = "*"
				}
				fmt.Fprintln(a.Out, "   ", mark, cell(field(t, "id")), cell(field(t, "displayName")))
			}
			return nil
		}),
	}
}

// noArgs and exactArgs refuse a wrong number of arguments as usage errors.
func noArgs(cmd *cobra.Command, args []string) error { return exactArgs(0)(cmd, args) }

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

package config_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
)

// env is a fake environment for Load's getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// load runs Load with a flag set parsed from args, a YAML file with the
// given content (none when empty, its path in $FILE of env and args) and env.
func load(t *testing.T, yaml string, e env, args ...string) (config.Config, error) {
	t.Helper()
	e, args = maps.Clone(e), slices.Clone(args) // leave the case table as it is
	if yaml != "" {
		file := filepath.Join(t.TempDir(), "kamonohashi.yaml")
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		for k, v := range e {
			e[k] = strings.ReplaceAll(v, "$FILE", file)
		}
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "$FILE", file)
		}
	}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse flags %q: %v", args, err)
	}
	return config.Load(fs, e.get)
}

func TestLoadPrecedence(t *testing.T) {
	def := config.Default()
	with := func(f func(c *config.Config)) config.Config {
		c := config.Default()
		f(&c)
		return c
	}
	cases := map[string]struct {
		yaml string
		env  env
		args []string
		want config.Config
	}{
		"nothing set gives the defaults": {
			want: def,
		},
		"the YAML file overrides a default": {
			yaml: "addr: 0.0.0.0:9000\ntoken-lifetime: 1h\n",
			env:  env{"KAMONOHASHI_CONFIG": "$FILE"},
			want: with(func(c *config.Config) { c.Addr = "0.0.0.0:9000"; c.TokenLifetime = time.Hour }),
		},
		"the environment overrides the YAML file": {
			yaml: "addr: 0.0.0.0:9000\nlog-level: debug\n",
			env:  env{"KAMONOHASHI_CONFIG": "$FILE", "KAMONOHASHI_LOG_LEVEL": "warn"},
			want: with(func(c *config.Config) { c.Addr = "0.0.0.0:9000"; c.LogLevel = "warn" }),
		},
		"a flag overrides the environment and the YAML file": {
			yaml: "log-level: debug\nlogin-max-failures: 5\n",
			env:  env{"KAMONOHASHI_CONFIG": "$FILE", "KAMONOHASHI_LOG_LEVEL": "warn", "KAMONOHASHI_LOGIN_MAX_FAILURES": "6"},
			args: []string{"--log-level=error", "--login-max-failures=7"},
			want: with(func(c *config.Config) { c.LogLevel = "error"; c.LoginMaxFails = 7 }),
		},
		"each setting comes from the highest layer that sets it": {
			yaml: "addr: file:1\ndata-dir: /file\nlog-format: json\nshutdown-timeout: 1s\n",
			env:  env{"KAMONOHASHI_CONFIG": "$FILE", "KAMONOHASHI_DATA_DIR": "/env", "KAMONOHASHI_SHUTDOWN_TIMEOUT": "2s"},
			args: []string{"--shutdown-timeout=3s"},
			want: with(func(c *config.Config) {
				c.Addr, c.DataDir, c.LogFormat, c.ShutdownTimeout = "file:1", "/env", "json", 3*time.Second
			}),
		},
		"a flag left at its default does not override the environment": {
			env:  env{"KAMONOHASHI_ADDR": "10.0.0.1:80"},
			args: []string{"--log-level=info"},
			want: with(func(c *config.Config) { c.Addr = "10.0.0.1:80" }),
		},
		"--config names the file as well": {
			yaml: "addr: flagfile:1\n",
			args: []string{"--config=$FILE"},
			want: with(func(c *config.Config) { c.Addr = "flagfile:1" }),
		},
		"--config wins over KAMONOHASHI_CONFIG": {
			yaml: "addr: flagfile:1\n",
			env:  env{"KAMONOHASHI_CONFIG": "/does/not/exist.yaml"},
			args: []string{"--config=$FILE"},
			want: with(func(c *config.Config) { c.Addr = "flagfile:1" }),
		},
		"an empty YAML file changes nothing": {
			yaml: "# nothing here\n",
			env:  env{"KAMONOHASHI_CONFIG": "$FILE"},
			want: def,
		},
		"the admin password comes from the environment": {
			env:  env{"KAMONOHASHI_ADMIN_PASSWORD": "s3cret-pass"},
			want: with(func(c *config.Config) { c.AdminPassword = "s3cret-pass" }),
		},
		"a PostgreSQL URL is accepted": {
			env:  env{"KAMONOHASHI_DATABASE_URL": "postgresql://u:p@db:5432/kqi"},
			want: with(func(c *config.Config) { c.DatabaseURL = "postgresql://u:p@db:5432/kqi" }),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := load(t, tc.yaml, tc.env, tc.args...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]struct {
		yaml    string
		env     env
		args    []string
		wantErr string
	}{
		"an unknown YAML key": {
			yaml:    "addr: :8080\nlisten: :9090\n",
			env:     env{"KAMONOHASHI_CONFIG": "$FILE"},
			wantErr: "field listen not found",
		},
		"the admin password in the YAML file (environment only)": {
			yaml:    "admin-password: x\n",
			env:     env{"KAMONOHASHI_CONFIG": "$FILE"},
			wantErr: "field admin-password not found",
		},
		"a bad duration in the YAML file": {
			yaml:    "token-lifetime: soon\n",
			env:     env{"KAMONOHASHI_CONFIG": "$FILE"},
			wantErr: "cannot unmarshal !!str `soon` into time.Duration",
		},
		"a bare number as a duration in the YAML file (no unit)": {
			yaml:    "login-lockout: 900\n",
			env:     env{"KAMONOHASHI_CONFIG": "$FILE"},
			wantErr: "into time.Duration",
		},
		"a bad duration in the environment": {
			env:     env{"KAMONOHASHI_LOGIN_LOCKOUT": "15"},
			wantErr: `setting login-lockout: "15" is not a duration`,
		},
		"a number that is not whole in the environment": {
			env:     env{"KAMONOHASHI_LOGIN_MAX_FAILURES": "ten"},
			wantErr: `setting login-max-failures: "ten" is not a whole number`,
		},
		"a database URL of another engine": {
			env:     env{"KAMONOHASHI_DATABASE_URL": "mysql://u:p@db/kqi"},
			wantErr: "database-url must start with postgres://",
		},
		"a database URL that is a bare host": {
			args:    []string{"--database-url=db.example.com:5432"},
			wantErr: "database-url must start with postgres://",
		},
		"a missing config file": {
			env:     env{"KAMONOHASHI_CONFIG": "/does/not/exist.yaml"},
			wantErr: "read config file",
		},
		"a zero token lifetime": {
			args:    []string{"--token-lifetime=0s"},
			wantErr: "token-lifetime must be positive",
		},
		"an unknown log level": {
			env:     env{"KAMONOHASHI_LOG_LEVEL": "verbose"},
			wantErr: `log-level "verbose"`,
		},
		"an unknown log format": {
			args:    []string{"--log-format=xml"},
			wantErr: `log-format "xml"`,
		},
		"no login failures allowed at all": {
			args:    []string{"--login-max-failures=0"},
			wantErr: "login-max-failures must be at least 1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := load(t, tc.yaml, tc.env, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Load error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestFieldsMatchFlags(t *testing.T) {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	for _, f := range config.Fields() {
		if f.Flag == "-" {
			continue
		}
		fl := fs.Lookup(f.Flag)
		if fl == nil {
			t.Errorf("setting %s has no flag --%s", f.YAML, f.Flag)
			continue
		}
		if fl.DefValue != f.Default {
			t.Errorf("flag --%s default = %q, want %q", f.Flag, fl.DefValue, f.Default)
		}
		if !strings.HasPrefix(f.Env, "KAMONOHASHI_") {
			t.Errorf("setting %s has environment variable %q, want a KAMONOHASHI_ prefix", f.YAML, f.Env)
		}
	}
}

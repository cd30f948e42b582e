// Package config loads the server configuration from defaults, an optional
// YAML file, the environment and flags, in that order of precedence.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
)

// Config is everything `kamonohashi server` can be told. Each field has a
// YAML key, an environment variable (KAMONOHASHI_ + upper-cased key) and a
// flag (--key with dashes); the README lists them from Fields().
type Config struct {
	Addr            string        `yaml:"addr" env:"KAMONOHASHI_ADDR" flag:"addr" help:"address the HTTP server listens on"`
	DataDir         string        `yaml:"data-dir" env:"KAMONOHASHI_DATA_DIR" flag:"data-dir" help:"directory for the SQLite file, the storage directory and runner state"`
	DatabaseURL     string        `yaml:"database-url" env:"KAMONOHASHI_DATABASE_URL" flag:"database-url" help:"postgres://… URL; empty means SQLite in the data directory"`
	AdminPassword   string        `yaml:"-" env:"KAMONOHASHI_ADMIN_PASSWORD" flag:"-" help:"password of the admin user created on first start (environment only); random and logged once when empty"`
	SecretKey       string        `yaml:"-" env:"KAMONOHASHI_SECRET_KEY" flag:"-" help:"base64 32-byte key that encrypts stored credentials (environment only); default: secret.key in the data directory, created on first start"`
	LogLevel        string        `yaml:"log-level" env:"KAMONOHASHI_LOG_LEVEL" flag:"log-level" help:"debug, info, warn or error"`
	LogFormat       string        `yaml:"log-format" env:"KAMONOHASHI_LOG_FORMAT" flag:"log-format" help:"text or json"`
	TokenLifetime   time.Duration `yaml:"token-lifetime" env:"KAMONOHASHI_TOKEN_LIFETIME" flag:"token-lifetime" help:"lifetime of a login token when the client asks for none"`
	ShutdownTimeout time.Duration `yaml:"shutdown-timeout" env:"KAMONOHASHI_SHUTDOWN_TIMEOUT" flag:"shutdown-timeout" help:"how long a graceful shutdown waits for requests in flight"`
	LoginMaxFails   int           `yaml:"login-max-failures" env:"KAMONOHASHI_LOGIN_MAX_FAILURES" flag:"login-max-failures" help:"failed logins per user and client address before further attempts are refused"`
	LoginLockout    time.Duration `yaml:"login-lockout" env:"KAMONOHASHI_LOGIN_LOCKOUT" flag:"login-lockout" help:"sliding window in which failed logins are counted; a refusal lasts until enough of them have left it"`
	TrustedProxies  string        `yaml:"trusted-proxies" env:"KAMONOHASHI_TRUSTED_PROXIES" flag:"trusted-proxies" help:"comma-separated CIDRs of reverse proxies (ingress, load balancer) whose X-Forwarded-For names the client for login limits; empty: the peer address is the client"`
	WebhookNetworks string        `yaml:"webhook-allowed-networks" env:"KAMONOHASHI_WEBHOOK_ALLOWED_NETWORKS" flag:"webhook-allowed-networks" help:"comma-separated CIDRs of internal networks that Slack-compatible webhooks may call (e.g. an on-premises Mattermost); loopback, private and link-local addresses are refused otherwise"`
	Storage         string        `yaml:"storage" env:"KAMONOHASHI_STORAGE" flag:"storage" help:"where files live: dir (a directory, which may be an NFS mount) or s3 (any S3-compatible store)"`
	StorageDir      string        `yaml:"storage-dir" env:"KAMONOHASHI_STORAGE_DIR" flag:"storage-dir" help:"directory of the dir storage; empty: storage/ in the data directory"`
	S3Endpoint      string        `yaml:"s3-endpoint" env:"KAMONOHASHI_S3_ENDPOINT" flag:"s3-endpoint" help:"URL of the S3 store, e.g. http://storage:9000 (storage s3)"`
	S3PublicURL     string        `yaml:"s3-public-endpoint" env:"KAMONOHASHI_S3_PUBLIC_ENDPOINT" flag:"s3-public-endpoint" help:"URL browsers and CLIs reach the S3 store at, written into presigned URLs; empty: s3-endpoint"`
	S3Region        string        `yaml:"s3-region" env:"KAMONOHASHI_S3_REGION" flag:"s3-region" help:"S3 region"`
	S3Bucket        string        `yaml:"s3-bucket" env:"KAMONOHASHI_S3_BUCKET" flag:"s3-bucket" help:"one bucket for every tenant (keys <tenant>/<type>/…); empty: one bucket per tenant, named after it"`
	S3PathStyle     bool          `yaml:"s3-path-style" env:"KAMONOHASHI_S3_PATH_STYLE" flag:"s3-path-style" help:"address buckets as http://host/bucket (most self-hosted stores) instead of http://bucket.host"`
	S3AccessKey     string        `yaml:"s3-access-key" env:"KAMONOHASHI_S3_ACCESS_KEY" flag:"s3-access-key" help:"S3 access key"`
	S3SecretKey     string        `yaml:"-" env:"KAMONOHASHI_S3_SECRET_KEY" flag:"-" help:"S3 secret key (environment only)"`
	ExternalURL     string        `yaml:"external-url" env:"KAMONOHASHI_EXTERNAL_URL" flag:"external-url" help:"URL clients reach this server at, used in signed upload and download URLs of the dir storage; empty: taken from each request's Host"`
	URLLifetime     time.Duration `yaml:"signed-url-lifetime" env:"KAMONOHASHI_SIGNED_URL_LIFETIME" flag:"signed-url-lifetime" help:"how long signed upload and download URLs stay valid; uploads not registered within it are removed"`
	UploadMaxBytes  int           `yaml:"upload-max-bytes" env:"KAMONOHASHI_UPLOAD_MAX_BYTES" flag:"upload-max-bytes" help:"largest streamed upload or archive accepted in one request, in bytes"`
	Runner          string        `yaml:"runner" env:"KAMONOHASHI_RUNNER" flag:"runner" help:"where jobs run: local (processes on this machine, one GPU set per job) or kubernetes (one batch Job per run)"`
	RunnerDir       string        `yaml:"runner-dir" env:"KAMONOHASHI_RUNNER_DIR" flag:"runner-dir" help:"local runner state: one directory per job (spec, status, events, code, inputs); empty: jobs/ in the data directory"`
	RunnerCPU       int           `yaml:"runner-cpu" env:"KAMONOHASHI_RUNNER_CPU" flag:"runner-cpu" help:"CPU cores the local runner hands out; 0: the machine's (or its cgroup's) count"`
	RunnerMemory    int           `yaml:"runner-memory" env:"KAMONOHASHI_RUNNER_MEMORY" flag:"runner-memory" help:"memory in GiB the local runner hands out; 0: the machine's (or its cgroup's) memory"`
	SampleInterval  time.Duration `yaml:"resource-sample-interval" env:"KAMONOHASHI_RESOURCE_SAMPLE_INTERVAL" flag:"resource-sample-interval" help:"how often the resource monitor records every node and the jobs on it (the first sample a minute after start); 0: never"`
	GPUs            string        `yaml:"gpus" env:"KAMONOHASHI_GPUS" flag:"gpus" help:"GPUs of the local runner: empty discovers them with NVML (or nvidia-smi); none: CPU only; a number N: pretend to have N GPUs (for tests on machines without any)"`
	Kubeconfig      string        `yaml:"kubeconfig" env:"KAMONOHASHI_KUBECONFIG" flag:"kubeconfig" help:"kubeconfig of the kubernetes runner; empty: $KUBECONFIG, else the in-cluster service account"`
	KubeNSPrefix    string        `yaml:"kube-namespace-prefix" env:"KAMONOHASHI_KUBE_NAMESPACE_PREFIX" flag:"kube-namespace-prefix" help:"a tenant's namespace is this prefix + the tenant name (kubernetes runner)"`
	KubeHelperImage string        `yaml:"kube-helper-image" env:"KAMONOHASHI_KUBE_HELPER_IMAGE" flag:"kube-helper-image" help:"image with this binary for the prepare and finish containers of jobs; empty: ghcr.io/kamonohashi-go/kamonohashi:<version>"`
	KubeNFSServer   string        `yaml:"kube-nfs-server" env:"KAMONOHASHI_KUBE_NFS_SERVER" flag:"kube-nfs-server" help:"NFS server whose export is the storage directory (storage dir with the kubernetes runner); jobs mount it"`
	KubeNFSPath     string        `yaml:"kube-nfs-path" env:"KAMONOHASHI_KUBE_NFS_PATH" flag:"kube-nfs-path" help:"the exported path on kube-nfs-server that storage-dir is mounted from"`
	KubeServerURL   string        `yaml:"kube-server-url" env:"KAMONOHASHI_KUBE_SERVER_URL" flag:"kube-server-url" help:"URL pods reach this server at (finish uploads there with S3 storage); empty: external-url"`
	KubeAccount     string        `yaml:"kube-service-account" env:"KAMONOHASHI_KUBE_SERVICE_ACCOUNT" flag:"kube-service-account" help:"namespace/name of this server's service account, bound to kamonohashi-tenant-jobs in each tenant namespace; empty: bind nothing"`
	KubeNodeSel     string        `yaml:"kube-node-selector" env:"KAMONOHASHI_KUBE_NODE_SELECTOR" flag:"kube-node-selector" help:"label selector of the nodes the kubernetes runner manages (labels, places jobs on, reports); empty: every node"`
}

// Default returns the embedded-defaults configuration.
func Default() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         defaultDataDir(),
		LogLevel:        "info",
		LogFormat:       "text",
		TokenLifetime:   240 * time.Hour, // the original's 864000 s
		ShutdownTimeout: 30 * time.Second,
		LoginMaxFails:   10,
		LoginLockout:    15 * time.Minute,
		Storage:         "dir",
		S3Region:        "us-east-1",
		S3PathStyle:     true,
		URLLifetime:     24 * time.Hour, // the original's PreSignedUrlExpirationSec
		UploadMaxBytes:  1 << 40,
		Runner:          "local",
		SampleInterval:  time.Hour, // the original's ResourceMonitorTimer
		KubeNSPrefix:    "kqi-",
	}
}

func defaultDataDir() string {
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".kamonohashi")
	}
	return ".kamonohashi"
}

// Field describes one setting for flags and documentation.
type Field struct {
	YAML, Env, Flag, Help string
	Default               string
}

// Fields lists the settings in declaration order.
func Fields() []Field {
	d := Default()
	v := reflect.ValueOf(d)
	t := v.Type()
	out := make([]Field, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, Field{
			YAML: f.Tag.Get("yaml"), Env: f.Tag.Get("env"), Flag: f.Tag.Get("flag"),
			Help: f.Tag.Get("help"), Default: fmt.Sprint(v.Field(i).Interface()),
		})
	}
	return out
}

// RegisterFlags adds one flag per setting to fs, with the defaults shown.
func RegisterFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (env KAMONOHASHI_CONFIG)")
	d := reflect.ValueOf(Default())
	t := d.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if name == "-" {
			continue
		}
		help := f.Tag.Get("help") + " (env " + f.Tag.Get("env") + ")"
		switch v := d.Field(i).Interface().(type) {
		case string:
			fs.String(name, v, help)
		case int:
			fs.Int(name, v, help)
		case time.Duration:
			fs.Duration(name, v, help)
		case bool:
			fs.Bool(name, v, help)
		}
	}
}

// Load builds the configuration: defaults, then the YAML file named by
// --config or KAMONOHASHI_CONFIG, then environment, then flags that were set.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	cfg := Default()
	file := getenv("KAMONOHASHI_CONFIG")
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Changed {
			file = f.Value.String()
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	v := reflect.ValueOf(&cfg).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		raw, set := getenv(f.Tag.Get("env")), false
		if raw != "" {
			set = true
		}
		if fs != nil {
			if fl := fs.Lookup(f.Tag.Get("flag")); fl != nil && fl.Changed {
				raw, set = fl.Value.String(), true
			}
		}
		if !set {
			continue
		}
		if err := setField(v.Field(i), raw); err != nil {
			return cfg, fmt.Errorf("setting %s: %w", f.Tag.Get("flag"), err)
		}
	}
	return cfg, cfg.Validate()
}

func setField(v reflect.Value, raw string) error {
	switch v.Interface().(type) {
	case string:
		v.SetString(raw)
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		v.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		v.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 240h", raw)
		}
		v.SetInt(int64(d))
	}
	return nil
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("addr must not be empty")
	case c.DataDir == "":
		return errors.New("data-dir must not be empty")
	case c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return errors.New("database-url must start with postgres:// (leave it empty for SQLite)")
	case c.TokenLifetime <= 0:
		return errors.New("token-lifetime must be positive")
	case c.LoginMaxFails < 1:
		return errors.New("login-max-failures must be at least 1")
	case c.LoginLockout <= 0:
		return errors.New("login-lockout must be positive")
	case c.Storage != "dir" && c.Storage != "s3":
		return fmt.Errorf("storage %q: use dir or s3", c.Storage)
	case c.Storage == "s3" && (c.S3Endpoint == "" || c.S3AccessKey == "" || c.S3SecretKey == ""):
		return errors.New("storage s3 needs s3-endpoint, s3-access-key and KAMONOHASHI_S3_SECRET_KEY")
	case c.URLLifetime < time.Minute || c.URLLifetime > 7*24*time.Hour:
		return errors.New("signed-url-lifetime must be between 1m and 168h (S3 signs URLs for at most 7 days)")
	case c.UploadMaxBytes < 1:
		return errors.New("upload-max-bytes must be positive")
	case c.Runner != "local" && c.Runner != "kubernetes":
		return fmt.Errorf("runner %q: use local or kubernetes", c.Runner)
	case c.Runner == "kubernetes" && c.Storage == "dir" && (c.KubeNFSServer == "" || c.KubeNFSPath == ""):
		return errors.New("runner kubernetes with storage dir needs kube-nfs-server and kube-nfs-path: jobs mount the storage directory from that export")
	case c.KubeAccount != "" && strings.Count(c.KubeAccount, "/") != 1:
		return errors.New("kube-service-account must be namespace/name")
	case c.RunnerCPU < 0 || c.RunnerMemory < 0:
		return errors.New("runner-cpu and runner-memory must not be negative")
	}
	if c.ExternalURL != "" && !strings.HasPrefix(c.ExternalURL, "http://") && !strings.HasPrefix(c.ExternalURL, "https://") {
		return errors.New("external-url must start with http:// or https://")
	}
	if _, err := cidr.Parse(c.WebhookNetworks); err != nil {
		return fmt.Errorf("webhook-allowed-networks: %w", err)
	}
	if _, err := cidr.Parse(c.TrustedProxies); err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}
	if c.SampleInterval < 0 {
		return errors.New("resource-sample-interval must not be negative")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format %q: use text or json", c.LogFormat)
	}
	return nil
}

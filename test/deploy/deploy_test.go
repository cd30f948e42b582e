package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/plan"
	"github.com/kamonohashi-go/kamonohashi/internal/deploy/remote"
)

var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/deploy: needs root (the SSH test hosts check another user's password); skipped")
		return 0
	}
	root, err := RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "deploy-kamonohashi-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bin, err = BuildTool(root, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hosts, err := StartHosts(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer hosts.Stop()
	return m.Run()
}

var withPasswords = []string{"KAMONOHASHI_DEPLOY_SSH_PASSWORD=" + SSHPassword}

func TestConfigureClusterThroughTerminal(t *testing.T) {
	for name, tc := range map[string]struct {
		lang                                       string
		master, storage, nodes, notFound, nodesErr string
		blankErr                                   string
	}{
		"Japanese": {lang: "ja_JP.UTF-8", master: "Kubernetes master をデプロイするサーバ名", storage: "Storage をデプロイするサーバ名",
			nodes: "計算ノード名", notFound: "nosuchhost-kqi: DNS にも /etc/hosts にも見つかりません",
			blankErr: "2 番目の名前が空です", nodesErr: `"host4" が 2 回指定されています`},
		"English": {lang: "en_US.UTF-8", master: "Kubernetes master server name", storage: "Storage server name",
			nodes: "Compute node names", notFound: "nosuchhost-kqi: not found in DNS or /etc/hosts",
			blankErr: "entry 2 of the list is blank", nodesErr: `"host4" is listed twice`},
	} {
		t.Run(name, func(t *testing.T) {
			tl := NewTool(t, bin, tc.lang)
			term := tl.Start(t, nil, "configure", "cluster")
			term.Expect(tc.master)
			term.Send(Host(1))
			term.Expect("KAMONOHASHI")
			term.Send(Host(2))
			term.Expect(tc.storage)
			term.Send("nosuchhost-kqi")
			term.Expect(tc.notFound)
			term.Expect(tc.storage)
			term.Send(Host(3))
			term.Expect(tc.nodes)
			term.Send(Host(4) + ", ,host5")
			term.Expect(tc.blankErr)
			term.Expect(tc.nodes)
			term.Send(Host(4) + "," + Host(4))
			term.Expect(tc.nodesErr)
			term.Expect(tc.nodes)
			term.Send(Host(4))
			term.Expect("SSH")
			term.Send(SSHUser)
			if code, out := term.Wait(); code != 0 {
				t.Fatalf("configure: exit %d\n%s", code, out)
			}

			inv, s := tl.Load(t)
			var got []string
			for _, h := range inv.Hosts {
				got = append(got, fmt.Sprintf("%s %s:%d %v gpu=%v", h.Name, h.Address, h.Port, h.Roles, h.GPU))
			}
			want := []string{
				"host1 127.0.0.1:58221 [master] gpu=false", "host2 127.0.0.1:58222 [kamonohashi] gpu=false",
				"host3 127.0.0.1:58223 [storage] gpu=false", "host4 127.0.0.1:58224 [compute] gpu=true",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") || inv.SSHUser != SSHUser {
				t.Errorf("inventory:\n%s\nwant:\n%s\nuser %q", strings.Join(got, "\n"), strings.Join(want, "\n"), inv.SSHUser)
			}
			if s.Storage.NFSServer != "host3" || s.Storage.External {
				t.Errorf("storage = %+v, want the NFS export on host3", s.Storage)
			}
			for _, want := range []string{"localhost", "127.0.0.1", "host1", "host2", "host3", "host4", ".cluster.local"} {
				if !strings.Contains(strings.Join(s.Proxy.NoProxy, ","), want) {
					t.Errorf("noProxy %v lacks %s", s.Proxy.NoProxy, want)
				}
			}

			// Configuring again keeps the earlier files with a date suffix.
			before, _ := os.ReadFile(filepath.Join(tl.Dir, "conf", config.InventoryFile))
			out, code := tl.Run(t, nil, "configure", "cluster", "--master", Host(1), "--kamonohashi", Host(1),
				"--storage", "nfs://host5/export/kqi", "--nodes", Host(4), "--ssh-user", SSHUser)
			if code != 0 {
				t.Fatalf("configure again: exit %d\n%s", code, out)
			}
			backups, _ := filepath.Glob(filepath.Join(tl.Dir, "conf", config.InventoryFile+".*"))
			if len(backups) != 1 || !regexp.MustCompile(`\.\d{8}-\d{6}$`).MatchString(backups[0]) {
				t.Fatalf("backups of the inventory: %v", backups)
			}
			if kept, _ := os.ReadFile(backups[0]); string(kept) != string(before) {
				t.Errorf("the backup differs from the earlier inventory")
			}
			_, s2 := tl.Load(t)
			if !s2.Storage.External || s2.Storage.NFSServer != "host5" || s2.Storage.NFSPath != "/export/kqi" {
				t.Errorf("external NFS: storage = %+v", s2.Storage)
			}
		})
	}
}

func TestConfigureSingleNodeAsksOnlyTheSSHUser(t *testing.T) {
	tl := NewTool(t, bin, "en_US.UTF-8")
	term := tl.Start(t, nil, "configure", "single-node", "--host", Host(1))
	term.Expect("SSH user name: ")
	term.Send(SSHUser)
	if code, out := term.Wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	inv, _ := tl.Load(t)
	if len(inv.Hosts) != 1 || len(inv.Hosts[0].Roles) != 4 || inv.Hosts[0].Port != BasePort {
		t.Errorf("single node inventory = %+v, want host1 with all four roles", inv.Hosts)
	}
}

func TestConfigureRefusesBadAnswersGivenAsFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		nodes, want string
	}{
		"a host missing from DNS": {nodes: "nosuchhost-kqi", want: "nosuchhost-kqi: not found in DNS or /etc/hosts"},
		"a blank entry":           {nodes: "host4,,host5", want: "entry 2 of the list is blank"},
		"a duplicate":             {nodes: "host4, host4", want: `"host4" is listed twice`},
	} {
		t.Run(name, func(t *testing.T) {
			tl := NewTool(t, bin, "C")
			out, code := tl.Run(t, nil, "configure", "cluster", "--master", Host(1), "--kamonohashi", Host(2),
				"--storage", Host(3), "--nodes", tc.nodes, "--ssh-user", SSHUser)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output:\n%s\nwant %q", code, out, tc.want)
			}
			if _, err := os.Stat(filepath.Join(tl.Dir, "conf", config.InventoryFile)); !os.IsNotExist(err) {
				t.Errorf("a refused configure wrote the inventory (%v)", err)
			}
		})
	}
}

func TestCheckAgainstSSHHosts(t *testing.T) {
	tl := NewTool(t, bin, "C")
	tl.Configure(t)
	out, _ := tl.Run(t, withPasswords, "check", "-k", "-K")
	for i := 1; i <= NumHosts; i++ {
		if !strings.Contains(out, fmt.Sprintf("ok   host%d [", i)) {
			t.Errorf("no ok line for host%d:\n%s", i, out)
		}
	}
	if !strings.Contains(out, "host4 [compute]") || !strings.Contains(out, "GPU NVIDIA H100") {
		t.Errorf("the GPU node's nvidia-smi is not reported:\n%s", out)
	}
	if !strings.Contains(out, "first contact, host key SHA256:") {
		t.Errorf("first contact not announced:\n%s", out)
	}
	// The second time the keys are known: no announcement.
	if out, _ := tl.Run(t, withPasswords, "check", "-k", "-K"); strings.Contains(out, "first contact") {
		t.Errorf("host keys announced again:\n%s", out)
	}

	for name, tc := range map[string]struct {
		env  []string
		want string
	}{
		"wrong SSH password":  {env: []string{"KAMONOHASHI_DEPLOY_SSH_PASSWORD=wrong"}, want: `FAIL host1: SSH login refused (127.0.0.1:58221): user "kqideploy": wrong password or key`},
		"wrong sudo password": {env: append([]string{"KAMONOHASHI_DEPLOY_SUDO_PASSWORD=wrong"}, withPasswords...), want: `FAIL host2: sudo refused (127.0.0.1:58222): user "kqideploy": wrong sudo password`},
	} {
		t.Run(name, func(t *testing.T) {
			out, code := tl.Run(t, tc.env, "check", "-k", "-K")
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output:\n%s\nwant the line %q", code, out, tc.want)
			}
			if n := strings.Count(out, "FAIL host3:"); n != 1 {
				t.Errorf("%d lines for host3, want one:\n%s", n, out)
			}
		})
	}

	t.Run("unreachable port", func(t *testing.T) {
		path := filepath.Join(tl.Dir, "conf", config.InventoryFile)
		data, _ := os.ReadFile(path)
		edited := strings.Replace(string(data), fmt.Sprintf("port: %d", BasePort+2), fmt.Sprintf("port: %d", ClosedPort), 1)
		if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		out, code := tl.Run(t, withPasswords, "check", "-k", "-K")
		want := "FAIL host3: unreachable (127.0.0.1:58229): connection refused"
		if code == 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, output:\n%s\nwant %q", code, out, want)
		}
	})
}

func TestDeployDryRunPrintsThePlan(t *testing.T) {
	tl := NewTool(t, bin, "C")
	tl.Configure(t)
	env := append([]string{"KAMONOHASHI_ADMIN_PASSWORD=" + AdminOK}, withPasswords...)
	out, code := tl.Run(t, env, "deploy", "all", "-k", "-K", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"host3: NFS export /var/lib/kamonohashi/nfs ... would run",
		"host1: k3s v1.31.4+k3s1 (download) ... would run",
		"host1: read the join token ... not known yet",
		"host4: NVIDIA container toolkit ... would run",
		"host1: NVIDIA device plugin ... would run",
		"host4: k3s-agent running with this configuration ... would run",
		"host2: PostgreSQL directory /var/lib/kamonohashi/postgresql ...", // the loopback hosts share one file system
		"web system: not checked (host1: no /etc/rancher/k3s/k3s.yaml",
		"nothing was changed",
		"access URL (once the web system is deployed): http://host2/",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, out)
		}
	}

	logs, _ := filepath.Glob(filepath.Join(tl.Log, "deploy_*.log"))
	if len(logs) == 0 {
		t.Fatalf("no run log in %s", tl.Log)
	}
	var all strings.Builder
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		all.Write(b)
	}
	if !strings.Contains(all.String(), "deploy all -k -K --dry-run") || strings.Contains(all.String(), SSHPassword) {
		t.Errorf("run logs do not record the commands, or hold a password:\n%s", all.String())
	}
}

func TestAdminPasswordPromptRefusesWeakPasswords(t *testing.T) {
	for name, tc := range map[string]struct{ lang, digits, short string }{
		"English":  {"en_US.UTF-8", "the password must not be digits only", "the password must have at least 8 characters"},
		"Japanese": {"ja_JP.UTF-8", "数字のみのパスワードは使用できません", "パスワードは 8 文字以上にしてください"},
	} {
		t.Run(name, func(t *testing.T) {
			tl := NewTool(t, bin, tc.lang)
			tl.Configure(t)
			term := tl.Start(t, withPasswords, "deploy", "app", "-k", "-K", "--dry-run")
			term.Expect("Admin Password")
			term.Send("12345678")
			term.Expect(tc.digits)
			term.Expect("Admin Password")
			term.Send("short")
			term.Expect(tc.short)
			term.Expect("Admin Password")
			term.Send(AdminOK)
			code, out := term.Wait()
			if code != 0 || !strings.Contains(out, "dry run:") {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if strings.Contains(out, AdminOK) || strings.Contains(out, "12345678") {
				t.Errorf("a typed password was echoed:\n%s", out)
			}
		})
	}
}

func TestSettingsTypoIsNamed(t *testing.T) {
	tl := NewTool(t, bin, "C")
	tl.Configure(t)
	path := filepath.Join(tl.Dir, "conf", config.SettingsFile)
	data, _ := os.ReadFile(path)
	typo := strings.Replace(string(data), "  nfsPath:", "  nfsPth:", 1)
	if err := os.WriteFile(path, []byte(typo), 0o644); err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(typo, "\n") {
		if strings.HasPrefix(l, "  nfsPth:") {
			line = i + 1
		}
	}
	out, code := tl.Run(t, withPasswords, "deploy", "infra", "-k", "--dry-run")
	want := fmt.Sprintf(`settings.yaml line %d: storage.nfsPth is not a known field (did you mean "nfsPath"?)`, line)
	if code == 0 || !strings.Contains(out, want) {
		t.Errorf("exit %d, output:\n%s\nwant %q", code, out, want)
	}
}

func TestCleanAsksForConfirmation(t *testing.T) {
	tl := NewTool(t, bin, "en_US.UTF-8")
	tl.Configure(t)
	term := tl.Start(t, withPasswords, "clean", "infra", "-k", "-K")
	term.Expect("Uninstall infra from the cluster? (y/n)")
	term.Send("n")
	term.Expect("aborted: nothing was changed")
	if code, out := term.Wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, code := tl.Run(t, withPasswords, "clean", "infra", "-k", "-K", "--dry-run")
	if code != 0 || !strings.Contains(out, "host4: remove k3s-agent ... already done") {
		t.Errorf("clean --dry-run on hosts without k3s: exit %d\n%s", code, out)
	}
}

func TestCredentialsAreWrittenOwnerOnly(t *testing.T) {
	tl := NewTool(t, bin, "C")
	tl.Configure(t)
	for range 2 {
		if out, code := tl.Run(t, nil, "credentials", "all"); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
	}
	files, _ := filepath.Glob(filepath.Join(tl.Dir, "conf", config.SecretsFile+"*"))
	if len(files) != 2 {
		t.Fatalf("secrets and one backup expected, got %v", files)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode().Perm(), err)
		}
	}
	sec, err := config.LoadSecrets(filepath.Join(tl.Dir, "conf", config.SecretsFile))
	if err != nil || len(sec.DBPassword) < 24 || len(sec.StorageSecretKey) < 24 {
		t.Errorf("secrets = %+v (%v)", sec, err)
	}
}

// The executor acts over real SSH with sudo, and a second run changes nothing.
func TestExecutorActsOnceThenChangesNothing(t *testing.T) {
	dir := t.TempDir()
	d := &remote.Dialer{
		Auth:     remote.Auth{Password: SSHPassword, Sudo: SSHPassword, HasSudo: true},
		HostKeys: &remote.KnownHosts{File: filepath.Join(dir, "known_hosts")},
	}
	ctx := context.Background()
	cl, err := d.Dial(ctx, remote.Target{Name: "host1", Address: "127.0.0.1", Port: BasePort, User: SSHUser})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	marker := filepath.Join(dir, "marker")
	steps := []plan.Step{{Host: "host1", Name: "marker file", Content: "from the executor\n",
		Check: "cmp -s - " + marker, Act: "cat > " + marker + " && test \"$(id -u)\" = 0"}}
	for i, want := range []string{"1 steps done, 0 were already done", "nothing to change: all 1 steps were already done"} {
		var out strings.Builder
		ex := &plan.Executor{Hosts: map[string]plan.Runner{"host1": cl}, Out: &out}
		o, err := ex.Run(ctx, steps)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
		}
		if got := o.Summary(false); got != want {
			t.Errorf("run %d: %q, want %q", i+1, got, want)
		}
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "from the executor\n" {
		t.Errorf("marker = %q (%v)", b, err)
	}
}

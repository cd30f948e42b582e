package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
	"github.com/kamonohashi-go/kamonohashi/internal/kubetest"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// useNamespace gives the configured web system its own namespace.
func useNamespace(t *testing.T, tl *Tool, ns string) {
	t.Helper()
	editSettings(t, tl, "namespace: kqi-system", "namespace: "+ns)
}

// editSettings replaces old by new in settings.yaml; old must be there.
func editSettings(t *testing.T, tl *Tool, old, new string) {
	t.Helper()
	path := filepath.Join(tl.Dir, "conf", config.SettingsFile)
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), old, new, 1)
	if edited == string(data) {
		t.Fatalf("no %q in settings:\n%s", old, data)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}

// controlPlane is the test control plane (KQI_TEST_KUBECONFIG): its
// config, a client and the kubeconfig file the tool is given.
func controlPlane(t *testing.T) (*rest.Config, kubernetes.Interface, string) {
	t.Helper()
	cfg := kubetest.Config(t)
	kubetest.LockClusterScoped(t) // the chart's ClusterRoles have fixed names
	return cfg, kubetest.Client(t, cfg), os.Getenv(kubetest.KubeconfigEnv)
}

func TestDeployAppIntoTheTestCluster(t *testing.T) {
	_, kc, kubeconfig := controlPlane(t)
	ns := kubetest.Unique("kqi-deploy-")
	ctx := context.Background()

	tl := NewTool(t, bin, "en_US.UTF-8")
	if out, code := tl.Run(t, nil, "configure", "single-node", "--host", Host(1), "--ssh-user", SSHUser); code != 0 {
		t.Fatalf("configure: exit %d\n%s", code, out)
	}
	useNamespace(t, tl, ns)
	deployAppAtPrompt(t, tl, kubeconfig, "host1")
	dep := pinnedServer(t, kc, ns, "host1")
	c := dep.Spec.Template.Spec.Containers[0]
	for _, want := range []string{"--runner=kubernetes", "--kube-service-account=" + ns + "/kamonohashi", "--kube-nfs-path=/var/lib/kamonohashi/nfs"} {
		if !strings.Contains(strings.Join(c.Args, " "), want) {
			t.Errorf("server args %v lack %s", c.Args, want)
		}
	}
	for _, get := range map[string]func() error{
		"Service kamonohashi": func() error {
			_, err := kc.CoreV1().Services(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})
			return err
		},
		"Service kamonohashi-postgresql": func() error {
			_, err := kc.CoreV1().Services(ns).Get(ctx, "kamonohashi-postgresql", metav1.GetOptions{})
			return err
		},
		"ServiceAccount": func() error {
			_, err := kc.CoreV1().ServiceAccounts(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})
			return err
		},
		"ClusterRole tenant jobs": func() error {
			_, err := kc.RbacV1().ClusterRoles().Get(ctx, "kamonohashi-tenant-jobs", metav1.GetOptions{})
			return err
		},
		"ClusterRoleBinding": func() error {
			_, err := kc.RbacV1().ClusterRoleBindings().Get(ctx, "kamonohashi-server", metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); err != nil {
			t.Errorf("%v", err)
		}
	}

	// A re-run: the admin password is not asked again, nothing changes.
	out, code := tl.Run(t, withPasswords, "deploy", "app", "-k", "-K", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "nothing to change: the web system is installed as configured (revision 1)") ||
		!strings.Contains(out, "PostgreSQL directory /var/lib/kamonohashi/postgresql ... already done") {
		t.Errorf("re-run: exit %d\n%s", code, out)
	}

	// The database password cannot be changed without a running PostgreSQL
	// (kwok runs no containers): refused, secrets.yaml unchanged.
	before, _ := os.ReadFile(filepath.Join(tl.Dir, "conf", config.SecretsFile))
	out, code = tl.Run(t, withPasswords, "credentials", "db", "-k", "-K", "--kubeconfig", kubeconfig)
	after, _ := os.ReadFile(filepath.Join(tl.Dir, "conf", config.SecretsFile))
	if code == 0 || !strings.Contains(out, "the PostgreSQL pod is not running") || !bytes.Equal(before, after) {
		t.Errorf("credentials db without PostgreSQL: exit %d\n%s", code, out)
	}

	t.Run("the deployed server logs in with the admin password given", func(t *testing.T) {
		serveDeployed(t, kc, ns, c, kubeconfig)
	})

	out, code = tl.Run(t, withPasswords, "clean", "app", "-y", "-k", "-K", "--kubeconfig", kubeconfig)
	if code != 0 || !strings.Contains(out, "web system removed") {
		t.Fatalf("clean app: exit %d\n%s", code, out)
	}
	for name, err := range map[string]error{
		"Deployment":  errOf(kc.AppsV1().Deployments(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})),
		"StatefulSet": errOf(kc.AppsV1().StatefulSets(ns).Get(ctx, "kamonohashi-postgresql", metav1.GetOptions{})),
		"Secret":      errOf(kc.CoreV1().Secrets(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})),
		"ClusterRole": errOf(kc.RbacV1().ClusterRoles().Get(ctx, "kamonohashi-server", metav1.GetOptions{})),
	} {
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s after clean app: %v", name, err)
		}
	}
	_ = kc.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
}

// deployAppAtPrompt runs deploy app into the cluster of kubeconfig, typing
// a digits-only admin password (refused) and then AdminOK at the prompt; it
// checks that PostgreSQL's directory is on host and returns the output.
func deployAppAtPrompt(t *testing.T, tl *Tool, kubeconfig, host string) string {
	t.Helper()
	term := tl.Start(t, withPasswords, "deploy", "app", "-k", "-K", "--kubeconfig", kubeconfig)
	term.Expect("Admin Password")
	term.Send("12345678")
	term.Expect("the password must not be digits only")
	term.Expect("Admin Password")
	term.Send(AdminOK)
	code, out := term.Wait()
	if code != 0 {
		t.Fatalf("deploy app: exit %d\n%s", code, out)
	}
	for _, want := range []string{host + ": PostgreSQL directory /var/lib/kamonohashi/postgresql ...", "web system applied: revision 1", "access URL: http://" + host + "/"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy app output lacks %q:\n%s", want, out)
		}
	}
	return out
}

// pinnedServer is the server Deployment; it and PostgreSQL (with its
// hostPath) must be pinned to host.
func pinnedServer(t *testing.T, kc kubernetes.Interface, ns, host string) *appsv1.Deployment {
	t.Helper()
	ctx := context.Background()
	dep, err := kc.AppsV1().Deployments(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.NodeSelector["kubernetes.io/hostname"]; got != host {
		t.Errorf("server nodeSelector = %q, want %s", got, host)
	}
	sts, err := kc.AppsV1().StatefulSets(ns).Get(ctx, "kamonohashi-postgresql", metav1.GetOptions{})
	if err != nil || sts.Spec.Template.Spec.NodeSelector["kubernetes.io/hostname"] != host ||
		sts.Spec.Template.Spec.Volumes[0].HostPath.Path != "/var/lib/kamonohashi/postgresql" {
		t.Errorf("PostgreSQL StatefulSet not on %s's hostPath: %v (%v)", host, sts, err)
	}
	return dep
}

func errOf[T any](_ T, err error) error { return err }

// serveDeployed runs the rendered server container with the real binary
// (KQI_BIN): its command, args and the environment resolved from the
// Secrets the tool created, with the address, data and storage directories
// moved to this machine and the database URL pointed at a fresh database
// of the test PostgreSQL (testenv.PostgresURL). It then logs in as admin.
func serveDeployed(t *testing.T, kc kubernetes.Interface, ns string, c corev1.Container, kubeconfig string) {
	kqi := os.Getenv("KQI_BIN")
	if kqi == "" || os.Getenv(testenv.PostgresURLEnv) == "" {
		if os.Getenv(testenv.RequirePostgresEnv) != "" {
			t.Fatalf("the deployed server needs KQI_BIN and %s", testenv.PostgresURLEnv)
		}
		t.Skipf("set KQI_BIN (bin/kamonohashi) and %s to run the deployed server", testenv.PostgresURLEnv)
	}
	ctx := context.Background()
	sec, err := kc.CoreV1().Secrets(ns).Get(ctx, "kamonohashi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dbURL := testenv.PostgresURL(t)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tmp := t.TempDir()
	var args []string
	for _, a := range c.Args {
		switch k, _, _ := strings.Cut(a, "="); k {
		case "--addr":
			a = "--addr=" + addr
		case "--data-dir":
			a = "--data-dir=" + filepath.Join(tmp, "data")
		case "--storage-dir":
			a = "--storage-dir=" + filepath.Join(tmp, "storage")
		}
		args = append(args, a)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "KAMONOHASHI_KUBECONFIG=" + kubeconfig}
	for _, e := range c.Env {
		v := e.Value
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
			v = string(sec.Data[r.SecretKeyRef.Key])
		}
		if e.Name == "KAMONOHASHI_DATABASE_URL" {
			v = dbURL
		}
		env = append(env, e.Name+"="+v)
	}
	cmd := exec.Command(kqi, append(c.Command[1:], args...)...)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy after 90 s:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for pw, want := range map[string]int{AdminOK: 200, "wrong-pass-1": 400} {
		body, _ := json.Marshal(map[string]string{"userName": "admin", "password": pw})
		res, err := http.Post("http://"+addr+"/api/v2/account/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("login with %q: %d, want %d\n%s", pw, res.StatusCode, want, log.String())
		}
	}
}

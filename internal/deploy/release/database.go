package release

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// DatabasePod is the chart's PostgreSQL pod (StatefulSet kamonohashi-postgresql).
const DatabasePod = "kamonohashi-postgresql-0"

// SetDatabasePassword changes the password of user inside the running
// PostgreSQL (ALTER USER through exec; the statement goes on stdin, not on
// a command line). POSTGRES_PASSWORD is read on the first start only, so
// this is how a rotated password reaches the database.
func (c *Cluster) SetDatabasePassword(ctx context.Context, cfg *rest.Config, user, password string) error {
	pod, err := c.Client.CoreV1().Pods(c.NS).Get(ctx, DatabasePod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoDatabasePod, err)
	}
	if pod.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("%w: %s is %s", ErrNoDatabasePod, DatabasePod, pod.Status.Phase)
	}
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.NS).Name(DatabasePod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "postgresql", Stdin: true, Stdout: true, Stderr: true,
			Command: []string{"psql", "-v", "ON_ERROR_STOP=1", "-q", "-U", user, "-d", "postgres"}}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	if err != nil {
		return err
	}
	stmt := fmt.Sprintf("ALTER USER %s PASSWORD '%s';\n", quoteIdent(user), strings.ReplaceAll(password, "'", "''"))
	var out bytes.Buffer
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader(stmt), Stdout: &out, Stderr: &out}); err != nil {
		return fmt.Errorf("ALTER USER in %s: %w: %s", DatabasePod, err, strings.TrimSpace(out.String()))
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

package app

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/runner/kube"
)

// newKubeRunner builds the Kubernetes runner from the kubeconfig, or from
// the pod's service account when there is none.
func newKubeRunner(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (runner.Runner, func() error, error) {
	var rc *rest.Config
	var err error
	if path := cmp.Or(cfg.Kubeconfig, os.Getenv("KUBECONFIG")); path != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", path)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, nil, err
	}
	opts := kube.Options{HelperImage: cfg.KubeHelperImage, NamespacePrefix: cfg.KubeNSPrefix,
		ServerURL: cmp.Or(cfg.KubeServerURL, cfg.ExternalURL), NodeSelector: cfg.KubeNodeSel, Logger: log, Clock: now}
	if cfg.Storage == "dir" {
		opts.NFS = &kube.NFS{Server: cfg.KubeNFSServer, Path: cfg.KubeNFSPath}
	}
	if ns, name, ok := strings.Cut(cfg.KubeAccount, "/"); ok {
		opts.ServerSubject = &rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	}
	r, err := kube.New(ctx, rc, opts)
	if err != nil {
		return nil, nil, err
	}
	return r, r.Close, nil
}

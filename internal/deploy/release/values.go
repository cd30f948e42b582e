package release

import (
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
)

// Values are the chart's values for a configured cluster: the server and
// PostgreSQL pinned to the inventory's kamonohashi host, files on the NFS
// export, secrets from secrets.yaml. adminPassword is set on the server's
// first start only.
func Values(inv config.Inventory, s config.Settings, sec config.Secrets, adminPassword string) map[string]any {
	expose := "hostPort"
	if p := s.Kamonohashi.HTTPPort; p >= 30000 && p <= 32767 {
		expose = "nodePort"
	}
	return map[string]any{
		"kamonohashiNode": inv.Kamonohashi().Name,
		"http":            map[string]any{"expose": expose, "port": s.Kamonohashi.HTTPPort},
		"secrets":         map[string]any{"adminPassword": adminPassword, "secretKey": sec.ServerKey},
		"database":        map[string]any{"password": sec.DBPassword},
		"storage": map[string]any{"type": "dir", "nfs": map[string]any{"server": nfsAddress(inv, s), "path": s.Storage.NFSPath},
			"s3": map[string]any{"secretKey": sec.StorageSecretKey}},
		"server": map[string]any{"proxy": map[string]any{"http": s.Proxy.HTTPProxy, "https": s.Proxy.HTTPSProxy,
			"no": strings.Join(s.Proxy.NoProxy, ",")}},
	}
}

// nfsAddress is the NFS server as pods reach it: the storage host's address
// (pods do not read the hosts' /etc/hosts), or the external server's name.
func nfsAddress(inv config.Inventory, s config.Settings) string {
	if h, ok := inv.Host(s.Storage.NFSServer); ok && !s.Storage.External {
		return h.Address
	}
	return s.Storage.NFSServer
}

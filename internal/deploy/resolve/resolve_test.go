package resolve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveDNSThenHostsFileNeverLoopback(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.1.1 gpu1\n10.0.0.7 gpu1 # after loopback\n127.0.0.1 onlylocal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dns := func(_ context.Context, name string) ([]string, error) {
		if name == "master" {
			return []string{"10.0.0.1"}, nil
		}
		return nil, errors.New("no such host")
	}
	r := Resolver{DNS: dns, HostsFile: hosts}
	ctx := context.Background()
	for name, tc := range map[string]struct {
		host, want string
		err        any
	}{
		"from DNS":                       {host: "master", want: "10.0.0.1"},
		"from the hosts file, not 127.*": {host: "gpu1", want: "10.0.0.7"},
		"only loopback":                  {host: "onlylocal", err: new(*LoopbackError)},
		"missing":                        {host: "nosuch", err: new(*NotFoundError)},
		"a loopback literal":             {host: "127.0.0.1", err: new(*LoopbackError)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := r.Resolve(ctx, tc.host)
			if tc.err != nil {
				if err == nil || !errors.As(err, tc.err) {
					t.Errorf("Resolve(%q) = %q, %v; want %T", tc.host, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q) = %q, %v; want %q", tc.host, got, err, tc.want)
			}
		})
	}
	r.TestAllowLoopback = true
	if got, err := r.Resolve(ctx, "onlylocal"); err != nil || got != "127.0.0.1" {
		t.Errorf("with the test override: %q, %v", got, err)
	}
}

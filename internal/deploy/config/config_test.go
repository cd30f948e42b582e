package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testInventory() Inventory {
	return Inventory{SSHUser: "deploy", Hosts: []Host{
		{Name: "master", Address: "10.0.0.1", Roles: []Role{RoleMaster}},
		{Name: "kqi", Address: "10.0.0.2", Roles: []Role{RoleKamonohashi}},
		{Name: "storage", Address: "10.0.0.3", Roles: []Role{RoleStorage}},
		{Name: "gpu1", Address: "10.0.0.4", Port: 2222, Roles: []Role{RoleCompute}, GPU: true},
	}}
}

func TestFilesRoundTripAndTyposAreNamed(t *testing.T) {
	dir := t.TempDir()
	inv := testInventory()
	s := DefaultSettings(inv, func(k string) string {
		return map[string]string{"https_proxy": "http://proxy:3128", "no_proxy": "corp.example,localhost"}[k]
	})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Paths{Dir: dir}
	if _, err := Write(p.Inventory(), RenderInventory(inv), 0o644, now); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(p.Settings(), RenderSettings(s), 0o644, now); err != nil {
		t.Fatal(err)
	}
	got, err := LoadInventory(p.Inventory())
	if err != nil || len(got.Hosts) != 4 || got.Hosts[3].Port != 2222 || !got.Hosts[3].GPU {
		t.Fatalf("inventory back: %+v (%v)", got, err)
	}
	gs, err := LoadSettings(p.Settings(), got)
	if err != nil {
		t.Fatal(err)
	}
	if want := "corp.example,localhost,127.0.0.1,.cluster.local,.svc,10.42.0.0/16,10.43.0.0/16,master,10.0.0.1,kqi,10.0.0.2,storage,10.0.0.3,gpu1,10.0.0.4"; strings.Join(gs.Proxy.NoProxy, ",") != want {
		t.Errorf("noProxy = %v\nwant %s", gs.Proxy.NoProxy, want)
	}

	for name, tc := range map[string]struct{ from, to, want string }{
		"a misspelt field":     {"  nfsPath:", "  nfsPth:", `settings.yaml line 19: storage.nfsPth is not a known field (did you mean "nfsPath"?)`},
		"an unknown section":   {"proxy:", "proxi:", `settings.yaml line 27: proxi is not a known field (did you mean "proxy"?)`},
		"a wrong port type":    {"httpPort: 80", "httpPort: eighty", "settings.yaml: yaml: unmarshal errors"},
		"a storage not a host": {"nfsServer: storage", "nfsServer: elsewhere", `settings.yaml: storage.nfsServer "elsewhere" is not a storage host`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SettingsFile)
			data := strings.Replace(string(RenderSettings(s)), tc.from, tc.to, 1)
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSettings(path, got)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestWriteKeepsTheOldVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.yaml")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	steps := []struct {
		data       string
		wantChange bool
		wantBackup string
	}{
		{"a: 1\n", true, ""},
		{"a: 1\n", false, ""},
		{"a: 2\n", true, path + ".20260102-030405"},
		{"a: 3\n", true, path + ".20260102-030405-2"},
	}
	for i, st := range steps {
		res, err := Write(path, []byte(st.data), 0o600, now)
		if err != nil || res.Changed != st.wantChange || res.Backup != st.wantBackup {
			t.Errorf("write %d: %+v (%v), want changed=%v backup=%q", i, res, err, st.wantChange, st.wantBackup)
		}
	}
	if b, _ := os.ReadFile(path + ".20260102-030405"); string(b) != "a: 1\n" {
		t.Errorf("first backup = %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

func TestInventoryValidateNamesTheField(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Inventory)
		want string
	}{
		"no user":         {func(i *Inventory) { i.SSHUser = "" }, "sshUser is empty"},
		"unknown role":    {func(i *Inventory) { i.Hosts[1].Roles = []Role{"web"} }, `hosts[1].roles[0] unknown role "web"`},
		"two masters":     {func(i *Inventory) { i.Hosts[1].Roles = append(i.Hosts[1].Roles, RoleMaster) }, "exactly one host with role master, found 2"},
		"duplicate name":  {func(i *Inventory) { i.Hosts[2].Name = "kqi" }, `hosts[2].name "kqi" appears twice`},
		"gpu not compute": {func(i *Inventory) { i.Hosts[0].GPU = true }, `hosts[0].gpu host "master" is not a compute node`},
	} {
		t.Run(name, func(t *testing.T) {
			inv := testInventory()
			tc.edit(&inv)
			if err := inv.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

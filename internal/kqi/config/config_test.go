package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSaveAndLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".kqi")
	want := Config{Server: "http://127.0.0.1:8080", Token: "t", Proxy: "http://proxy:3128", Timeout: 5, ExpireDays: 2}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	fi, err := os.Stat(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: the file holds a token", fi.Mode().Perm())
	}
	if got.RequestTimeout() != 5*time.Second || got.ExpiresIn() != 2*86400 {
		t.Errorf("timeout %v, expiresIn %d", got.RequestTimeout(), got.ExpiresIn())
	}
}

func TestLoad(t *testing.T) {
	for name, tc := range map[string]struct {
		content string
		wantErr bool
		want    Config
	}{
		"a missing file is an empty config": {},
		"the original's file":               {content: `{"server":"http://kqi","token":"x","expireDays":3}`, want: Config{Server: "http://kqi", Token: "x", ExpireDays: 3}},
		"a broken file is an error":         {content: `{"server":`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(dir)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if got.RequestTimeout() != DefaultTimeout && tc.want.Timeout == 0 {
				t.Errorf("timeout %v, want the default", got.RequestTimeout())
			}
		})
	}
}

package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := NewBox(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	b := newBox(t, 1)
	for name, plain := range map[string]string{"token": "ghp_abcdef", "unicode": "パスワード", "empty stays empty": ""} {
		t.Run(name, func(t *testing.T) {
			sealed, err := b.Seal(plain)
			if err != nil {
				t.Fatal(err)
			}
			if plain != "" && bytes.Contains([]byte(sealed), []byte(plain)) {
				t.Fatalf("sealed value %q shows the plaintext", sealed)
			}
			got, err := b.Open(sealed)
			if err != nil || got != plain {
				t.Fatalf("Open = %q, %v; want %q", got, err, plain)
			}
		})
	}
	a1, _ := b.Seal("same")
	a2, _ := b.Seal("same")
	if a1 == a2 {
		t.Error("two seals of one value are equal; the nonce is not random")
	}
}

func TestOpenRefusesForeignOrDamaged(t *testing.T) {
	sealed, _ := newBox(t, 1).Seal("secret")
	other := newBox(t, 2)
	for name, v := range map[string]string{
		"other key":     sealed,
		"no prefix":     "secret",
		"bad base64":    "v1:!!!",
		"too short":     "v1:" + base64.StdEncoding.EncodeToString([]byte("x")),
		"flipped bytes": sealed[:len(sealed)-4] + "AAA=",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := other.Open(v); !errors.Is(err, ErrUndecryptable) {
				t.Errorf("Open(%q) err = %v, want ErrUndecryptable", v, err)
			}
		})
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, info.Mode().Perm())
	}
	k2, err := LoadKey("", dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	if k, err := LoadKey(env, dir); err != nil || k[0] != 7 {
		t.Errorf("env key not used: %v", err)
	}
	if _, err := LoadKey("c2hvcnQ=", dir); err == nil {
		t.Error("short env key accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey("", dir); err == nil {
		t.Error("damaged key file accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

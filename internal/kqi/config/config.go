// Package config reads and writes kqi's settings file, ~/.kqi/config.json,
// in the original's format, so that a file written by either client works
// with the other.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DefaultTimeout bounds an ordinary API call, as the original's 30 s.
const DefaultTimeout = 30 * time.Second

// ErrNotLoggedIn says that no server or token is configured yet.
var ErrNotLoggedIn = errors.New("not logged in: run `kqi account login`")

// Config is the content of config.json. Timeout is in seconds.
type Config struct {
	Server     string `json:"server,omitempty"`
	Token      string `json:"token,omitempty"`
	Proxy      string `json:"proxy,omitempty"`
	Timeout    int    `json:"timeout,omitempty"`
	ExpireDays int    `json:"expireDays,omitempty"`
}

// RequestTimeout is the configured timeout, or the default.
func (c Config) RequestTimeout() time.Duration {
	if c.Timeout > 0 {
		return time.Duration(c.Timeout) * time.Second
	}
	return DefaultTimeout
}

// ExpiresIn is the token lifetime to ask for at login, in seconds; 0 lets
// the server choose.
func (c Config) ExpiresIn() int64 { return int64(c.ExpireDays) * 24 * 3600 }

// Dir is where kqi keeps its files: ~/.kqi.
func Dir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory: %w", err)
	}
	return filepath.Join(home, ".kqi"), nil
}

// Load reads dir/config.json; a missing file is an empty Config.
func Load(dir string) (Config, error) {
	var c Config
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read the kqi config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("read %s: %w (fix or delete it, then `kqi account login`)",
			filepath.Join(dir, "config.json"), err)
	}
	return c, nil
}

// Save writes the file readable by its owner only: it holds a token.
func Save(dir string, c Config) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "config-*.json")
	if err != nil {
		return fmt.Errorf("write the kqi config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write the kqi config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the kqi config: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, "config.json"))
}

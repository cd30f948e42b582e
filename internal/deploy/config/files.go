package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrNotConfigured is returned when a file configure writes is missing.
var ErrNotConfigured = errors.New("not configured: run `deploy-kamonohashi configure cluster` (or `configure single-node`) first")

// LoadInventory reads and validates the inventory at path.
func LoadInventory(path string) (Inventory, error) {
	var inv Inventory
	if err := loadStrict(path, &inv); err != nil {
		return inv, err
	}
	return inv, inFile(path, inv.Validate())
}

// LoadSettings reads the settings at path and validates them against inv.
func LoadSettings(path string, inv Inventory) (Settings, error) {
	var s Settings
	if err := loadStrict(path, &s); err != nil {
		return s, err
	}
	return s, inFile(path, s.Validate(inv))
}

// LoadSecrets reads the secrets file; a missing file gives empty secrets.
func LoadSecrets(path string) (Secrets, error) {
	var s Secrets
	err := loadStrict(path, &s)
	if errors.Is(err, ErrNotConfigured) {
		return Secrets{}, nil
	}
	return s, err
}

func inFile(path string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.File = filepath.Base(path)
	}
	return err
}

// loadStrict decodes path into v, refusing any key that v does not have
// (with its line and the nearest known name) and reporting type errors with
// the file's name.
func loadStrict(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, ErrNotConfigured)
	}
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := checkKeys(&doc, reflect.TypeOf(v), ""); err != nil {
		return inFile(path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// checkKeys walks the YAML tree alongside the Go type and names the first key
// the type does not know.
func checkKeys(n *yaml.Node, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return checkKeys(n.Content[0], t, at)
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				msg := "is not a known field"
				if s := nearest(key.Value, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return &FieldError{Line: key.Line, Field: join(at, key.Value), Msg: msg}
			}
			if err := checkKeys(val, ft, join(at, key.Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// nearest returns the known name closest to key when it is close enough to
// be a typo (two edits, or a different case).
func nearest(key string, known map[string]reflect.Type) string {
	best, bestD := "", 3
	for k := range known {
		d := distance(strings.ToLower(key), strings.ToLower(k))
		if d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WriteResult says what Write did.
type WriteResult struct {
	Changed bool   // false: the file already had this content
	Backup  string // the previous version's new name, if there was one
}

// Write puts data at path atomically (a temporary file in the same
// directory, synced, then renamed) with the given mode. A previous version
// with other content is kept as path.YYYYMMDD-HHMMSS; identical content
// leaves everything as it is.
func Write(path string, data []byte, mode fs.FileMode, now time.Time) (WriteResult, error) {
	old, err := os.ReadFile(path)
	hadOld := err == nil
	switch {
	case err == nil && bytes.Equal(old, data):
		return WriteResult{}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return WriteResult{}, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return WriteResult{}, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return WriteResult{}, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return WriteResult{}, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return WriteResult{}, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return WriteResult{}, err
	}
	if err := tmp.Close(); err != nil {
		return WriteResult{}, err
	}
	res := WriteResult{Changed: true}
	if hadOld {
		res.Backup, err = backupName(path, now)
		if err != nil {
			return WriteResult{}, err
		}
		// A hard link keeps the old version (and its mode) without a moment
		// in which path is missing.
		if err := os.Link(path, res.Backup); err != nil {
			return WriteResult{}, fmt.Errorf("keep the previous %s: %w", filepath.Base(path), err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return WriteResult{}, err
	}
	return res, syncDir(dir)
}

func backupName(path string, now time.Time) (string, error) {
	base := path + "." + now.Format("20060102-150405")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		} else if err != nil {
			return "", err
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// DecodeFile reads a YAML file strictly into v (unknown fields refused with
// their line), for files other than the three above.
func DecodeFile(path string, v any) error {
	err := loadStrict(path, v)
	if errors.Is(err, ErrNotConfigured) {
		return fmt.Errorf("%s: no such file", path)
	}
	return err
}

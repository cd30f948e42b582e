package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	filePerm = 0o640
	dirPerm  = 0o750
	// uploadsDir holds multipart uploads in progress, beside the tenants.
	uploadsDir = ".kqi-uploads"
	// reservedTenantPrefix keeps tenants from colliding with uploadsDir.
	reservedTenantPrefix = ".kqi-"
	minSignKey           = 16
)

// FS keeps files in a directory tree, root/<tenant>/<type>/<path>. The root
// may be an NFS mount that compute nodes share.
//
// Every access goes through an os.Root, so that no key, and no symbolic
// link met on the way, reaches outside the root. Multipart uploads in
// progress live in root/.kqi-uploads. An FS is safe for concurrent use.
type FS struct {
	root    *os.Root
	signKey []byte
	now     func() time.Time
	bufs    sync.Pool // *[]byte of copyBufSize
}

var _ Store = (*FS)(nil)

// FSOption configures NewFS.
type FSOption func(*FS)

// WithClock sets the clock that signed URLs are issued and checked
// against, and that stamps multipart uploads.
func WithClock(now func() time.Time) FSOption { return func(s *FS) { s.now = now } }

// NewFS opens the directory root, creating it when missing. signKey (at
// least 16 bytes) signs the URLs that ServeSigned accepts.
func NewFS(root string, signKey []byte, opts ...FSOption) (*FS, error) {
	if len(signKey) < minSignKey {
		return nil, fmt.Errorf("storage: signing key of %d bytes; at least %d needed", len(signKey), minSignKey)
	}
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("storage: create root: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("storage: open root: %w", err)
	}
	s := &FS{root: r, signKey: append([]byte(nil), signKey...), now: time.Now}
	s.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Close releases the root directory.
func (s *FS) Close() error { return s.root.Close() }

// tenantDir checks a tenant name as a directory under the root.
func tenantDir(tenant string) error {
	if strings.HasPrefix(tenant, reservedTenantPrefix) {
		return fmt.Errorf("%w: tenant name %q uses the reserved prefix %s", ErrInvalid, tenant, reservedTenantPrefix)
	}
	return nil
}

// fsKey validates k and returns it with its path relative to the root.
func fsKey(k Key) (Key, string, error) {
	k, err := validKey(k)
	if err != nil {
		return Key{}, "", err
	}
	if err := tenantDir(k.Tenant); err != nil {
		return Key{}, "", err
	}
	return k, k.String(), nil
}

// fsArea validates an area and a directory in it and returns the
// directory's path relative to the root.
func fsArea(tenant string, t ResourceType, dir string) (ResourceType, string, string, error) {
	t, dir, err := validArea(tenant, t, dir)
	if err != nil {
		return "", "", "", err
	}
	if err := tenantDir(tenant); err != nil {
		return "", "", "", err
	}
	rel := tenant + "/" + string(t)
	if dir != "" {
		rel += "/" + dir
	}
	return t, dir, rel, nil
}

// notFound turns the errors of a missing file (or of a file where a
// directory was expected) into ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return err
}

// EnsureTenant creates the tenant's directory.
func (s *FS) EnsureTenant(ctx context.Context, tenant string) error {
	if _, _, _, err := fsArea(tenant, Data, ""); err != nil {
		return err
	}
	if err := s.root.MkdirAll(tenant, dirPerm); err != nil {
		return fmt.Errorf("storage: create tenant %s: %w", tenant, err)
	}
	return nil
}

// Put writes r to a temporary file beside the target, syncs it and renames
// it into place, so that the object appears complete or not at all.
func (s *FS) Put(ctx context.Context, k Key, r io.Reader) (Object, error) {
	k, rel, err := fsKey(k)
	if err != nil {
		return Object{}, err
	}
	o, err := s.writeFile(ctx, rel, r)
	if err != nil {
		s.pruneDirs(areaDir(k), path.Dir(rel))
		return Object{}, fmt.Errorf("storage: put %s: %w", rel, err)
	}
	o.Key = k
	return o, nil
}

// Open reads length bytes of k from offset (length < 0: to the end).
func (s *FS) Open(ctx context.Context, k Key, offset, length int64) (io.ReadCloser, Object, error) {
	k, rel, err := fsKey(k)
	if err != nil {
		return nil, Object{}, err
	}
	if offset < 0 {
		return nil, Object{}, fmt.Errorf("%w: negative offset %d", ErrInvalid, offset)
	}
	f, st, err := s.openFile(rel)
	if err != nil {
		return nil, Object{}, err
	}
	o := Object{Key: k, Size: st.Size(), ModTime: st.ModTime()}
	if offset > o.Size {
		f.Close()
		return nil, Object{}, fmt.Errorf("%w: offset %d beyond the end of %s (%d bytes)", ErrInvalid, offset, rel, o.Size)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, Object{}, fmt.Errorf("storage: open %s: %w", rel, err)
	}
	if length < 0 || offset+length > o.Size {
		length = o.Size - offset
	}
	return readCloser{io.LimitReader(f, length), f}, o, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// openFile opens a regular file; a directory is not an object.
func (s *FS) openFile(rel string) (*os.File, fs.FileInfo, error) {
	f, err := s.root.Open(rel)
	if err != nil {
		return nil, nil, notFound(err, rel)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("storage: stat %s: %w", rel, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %s is not a file", ErrNotFound, rel)
	}
	return f, st, nil
}

// Stat describes k; the directory backend does not keep SHA-256 sums.
func (s *FS) Stat(ctx context.Context, k Key) (Object, error) {
	k, rel, err := fsKey(k)
	if err != nil {
		return Object{}, err
	}
	st, err := s.root.Stat(rel)
	if err != nil {
		return Object{}, notFound(err, rel)
	}
	if !st.Mode().IsRegular() {
		return Object{}, fmt.Errorf("%w: %s is not a file", ErrNotFound, rel)
	}
	return Object{Key: k, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes k and then the directories that it leaves empty, so that
// listings match S3's, where directories exist only through their files.
func (s *FS) Delete(ctx context.Context, k Key) error {
	k, rel, err := fsKey(k)
	if err != nil {
		return err
	}
	st, err := s.root.Lstat(rel)
	if err != nil {
		if errors.Is(notFound(err, rel), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("storage: delete %s: %w", rel, err)
	}
	if st.IsDir() {
		return nil // not an object
	}
	if err := s.root.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete %s: %w", rel, err)
	}
	s.pruneDirs(areaDir(k), path.Dir(rel))
	return nil
}

// DeletePrefix removes the directory tenant/type/prefix and everything in
// it ("" = the whole area). prefix names a directory: "a" removes a/x but
// not ab.
func (s *FS) DeletePrefix(ctx context.Context, tenant string, t ResourceType, prefix string) error {
	t, dir, rel, err := fsArea(tenant, t, prefix)
	if err != nil {
		return err
	}
	st, err := s.root.Lstat(rel)
	if err != nil {
		if errors.Is(notFound(err, rel), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("storage: delete %s: %w", rel, err)
	}
	if !st.IsDir() {
		return nil // a file is not a prefix
	}
	if err := s.root.RemoveAll(rel); err != nil {
		return fmt.Errorf("storage: delete %s: %w", rel, err)
	}
	if dir != "" {
		s.pruneDirs(tenant+"/"+string(t), path.Dir(rel))
	}
	return nil
}

// areaDir is the directory of k's area, relative to the root.
func areaDir(k Key) string { return k.Tenant + "/" + string(k.Type) }

// pruneDirs removes dir and its parents while they are empty, stopping at
// (and keeping) stop.
func (s *FS) pruneDirs(stop, dir string) {
	for dir != stop && strings.HasPrefix(dir, stop+"/") {
		if s.root.Remove(dir) != nil {
			return // not empty, or gone already
		}
		dir = path.Dir(dir)
	}
}

// List returns the entries directly under tenant/type/dir; files being
// written are hidden. A missing directory is empty.
func (s *FS) List(ctx context.Context, tenant string, t ResourceType, dir string) ([]string, []Object, error) {
	t, dir, rel, err := fsArea(tenant, t, dir)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.root.Open(rel)
	if err != nil {
		if errors.Is(notFound(err, rel), ErrNotFound) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("storage: list %s: %w", rel, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("storage: list %s: %w", rel, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	var dirs []string
	var files []Object
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tempPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			// Followed only while it stays inside the root.
			if info, err = s.root.Stat(rel + "/" + name); err != nil {
				continue
			}
		}
		p := name
		if dir != "" {
			p = dir + "/" + name
		}
		switch {
		case info.IsDir():
			dirs = append(dirs, name)
		case info.Mode().IsRegular():
			files = append(files, Object{Key: Key{Tenant: tenant, Type: t, Path: p}, Size: info.Size(), ModTime: info.ModTime()})
		}
	}
	return dirs, files, nil
}

// LocalPath is the absolute path of k on this machine. Runners on the same
// machine (or on nodes that mount the same directory) link inputs to it and
// write outputs in place, so outputs are listable while a job runs.
func (s *FS) LocalPath(k Key) (string, error) {
	_, rel, err := fsKey(k)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.root.Name(), filepath.FromSlash(rel)), nil
}

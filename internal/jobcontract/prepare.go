package jobcontract

import (
	"context"
	"errors"
	"fmt"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// Resolver tells where a stored file or prefix is on this machine, when
// the storage is a directory reachable from here.
type Resolver interface {
	LocalPath(k storage.Key) (string, bool)
}

// RootResolver resolves keys under a storage directory mounted at Root
// (the directory backend's root, or its mount in a pod).
type RootResolver struct{ Root string }

// LocalPath is Root/<tenant>/<type>/<path>.
func (r RootResolver) LocalPath(k storage.Key) (string, bool) {
	if r.Root == "" {
		return "", false
	}
	return filepath.Join(r.Root, k.Tenant, string(k.Type), filepath.FromSlash(k.Path)), true
}

// NoResolver resolves nothing: inputs are downloaded from their URLs.
type NoResolver struct{}

// LocalPath reports nothing local.
func (NoResolver) LocalPath(storage.Key) (string, bool) { return "", false }

// Prepare creates the layout and puts in it what the job reads: the code
// at its commit, the dataset's files under Input by their data paths, and
// the mounted outputs of earlier jobs under Root.
func Prepare(ctx context.Context, j Job, res Resolver) error {
	if err := j.Layout.Create(); err != nil {
		return err
	}
	if j.Spec.Git != nil {
		if err := FetchCode(ctx, *j.Spec.Git, j.GitCache, j.Layout.Git); err != nil {
			return err
		}
	}
	if err := materialiseInputs(ctx, j, res); err != nil {
		return err
	}
	return linkMounts(ctx, j, res)
}

// downloadMount fetches a mount's files into dst and makes them read-only:
// the copy of an output kept in S3.
func downloadMount(ctx context.Context, m runner.Mount, dst string) error {
	client := &http.Client{}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range m.Files {
		to, err := within(dst, f.DataPath)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := download(ctx, client, f.URL, to); err != nil {
			return fmt.Errorf("%s: %w", f.DataPath, err)
		}
		if err := os.Chmod(to, 0o444); err != nil {
			return err
		}
	}
	return nil
}

// materialiseInputs links each input to its stored file, copies it when
// the spec asks for a local dataset, or downloads it when it is not here.
func materialiseInputs(ctx context.Context, j Job, res Resolver) error {
	client := &http.Client{}
	for _, in := range j.Spec.Inputs {
		dst, err := within(j.Layout.Input, in.DataPath)
		if err != nil {
			return fmt.Errorf("input %s: %w", in.DataPath, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("input %s: %w", in.DataPath, err)
		}
		src, local := res.LocalPath(in.Stored)
		switch {
		case local:
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("input %s: stored file %s is missing: %w", in.DataPath, in.Stored, err)
			}
			if j.Spec.LocalDataSet {
				err = copyFile(src, dst)
			} else {
				err = os.Symlink(src, dst)
			}
		case in.URL != "":
			err = download(ctx, client, in.URL, dst)
		default:
			err = fmt.Errorf("stored file %s is neither on this machine nor given a URL", in.Stored)
		}
		if err != nil {
			return fmt.Errorf("input %s: %w", in.DataPath, err)
		}
	}
	return nil
}

// linkMounts links each mount's path under the root to the stored prefix.
// The outputs of ended jobs are made read-only by Finish, so that the link
// is read-only in effect.
func linkMounts(ctx context.Context, j Job, res Resolver) error {
	for _, m := range j.Spec.Mounts {
		dst, err := within(j.Layout.Root, m.Path)
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.Path, err)
		}
		src, ok := res.LocalPath(m.Source)
		if !ok {
			// Not reachable as a directory (S3): the spec lists the files
			// with signed URLs; none means an empty output.
			if err := downloadMount(ctx, m, dst); err != nil {
				return fmt.Errorf("mount %s: %w", m.Path, err)
			}
			continue
		}
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("mount %s: stored output %s is missing: %w", m.Path, m.Source, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("mount %s: %w", m.Path, err)
		}
		if err := os.Symlink(src, dst); err != nil {
			return fmt.Errorf("mount %s: %w", m.Path, err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeFrom(r, dst)
}

func download(ctx context.Context, c *http.Client, url, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download: %s", resp.Status)
	}
	return writeFrom(resp.Body, dst)
}

// writeFrom writes r to dst, leaving no partial file on error.
func writeFrom(r io.Reader, dst string) error {
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(err, os.Remove(dst))
	}
	return nil
}

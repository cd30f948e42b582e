package jobcontract

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Result is the outcome of the user's command, written by Finish.
type Result struct {
	ExitCode  int       `json:"exitCode"`
	OOMKilled bool      `json:"oomKilled,omitempty"`
	Canceled  bool      `json:"canceled,omitempty"`
	Signal    string    `json:"signal,omitempty"` // the signal that ended the command, if one did
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished"`
	// Error is why finishing failed (the zip could not be written), or why
	// the command never ran.
	Error string `json:"error,omitempty"`
}

// ResultPath is where Finish writes the result record.
func (l Layout) ResultPath() string { return filepath.Join(l.Tmp, "result.json") }

// Finish zips the output into Attach/ZipName after a successful run (when
// the spec asks for it), writes the result record and makes the output
// read-only, so that jobs mounting it later cannot change it. An error
// writing the zip is returned and also recorded in the result.
func Finish(ctx context.Context, j Job, res Result) error {
	var zipErr error
	if res.ExitCode == 0 && !res.Canceled && j.Spec.ZipName != "" {
		dst, err := within(j.Layout.Attach, j.Spec.ZipName)
		if err == nil {
			err = ZipDir(ctx, j.Layout.Output, dst)
		}
		if err != nil {
			zipErr = fmt.Errorf("zip output into %s: %w", j.Spec.ZipName, err)
			res.Error = zipErr.Error()
		}
	}
	if err := WriteJSONAtomic(j.Layout.ResultPath(), res); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if err := MakeReadOnly(j.Layout.Output); err != nil {
		return fmt.Errorf("make output read-only: %w", err)
	}
	return zipErr
}

// ReadResult reads the record Finish wrote.
func ReadResult(l Layout) (Result, error) {
	var r Result
	b, err := os.ReadFile(l.ResultPath())
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// ZipDir writes every regular file under dir into a zip at dst, through a
// temporary name renamed into place. Symbolic links are stored as links.
func ZipDir(ctx context.Context, dir, dst string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".kqi-tmp-zip-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	zw := zip.NewWriter(tmp)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return addToZip(zw, p, filepath.ToSlash(rel), d)
	})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func addToZip(zw *zip.Writer, p, name string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	h, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	h.Name = name
	switch {
	case d.IsDir():
		h.Name += "/"
		_, err = zw.CreateHeader(h)
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, target)
		return err
	case !info.Mode().IsRegular():
		return nil // sockets, pipes and devices have no content to keep
	}
	h.Method = zip.Deflate
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// WriteJSONAtomic writes v as JSON to path through a temporary file that
// is synced and renamed, so readers see the old record or the new one.
func WriteJSONAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// WriteFileAtomic writes b to path through a synced temporary file.
func WriteFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kqi-tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// MakeReadOnly clears the write bits of everything under dir (links are
// left alone: their targets belong to others).
func MakeReadOnly(dir string) error {
	return chmodTree(dir, func(m fs.FileMode) fs.FileMode { return m &^ 0o222 })
}

// MakeWritable gives the owner write permission again under dir, so that
// the server can delete an output that Finish made read-only.
func MakeWritable(dir string) error {
	return chmodTree(dir, func(m fs.FileMode) fs.FileMode { return m | 0o200 })
}

// RemoveAll deletes dir even when Finish made parts of it read-only.
func RemoveAll(dir string) error {
	if err := MakeWritable(dir); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.RemoveAll(dir)
}

// chmodTree applies mode to everything under dir, dir included.
// Directories keep owner access while the walk is inside them and get
// their final mode last, deepest first.
func chmodTree(dir string, mode func(fs.FileMode) fs.FileMode) error {
	type pending struct {
		path string
		perm fs.FileMode
	}
	var dirs []pending
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, pending{p, info.Mode().Perm()})
			return os.Chmod(p, info.Mode().Perm()|0o700)
		}
		return os.Chmod(p, mode(info.Mode().Perm()))
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if cerr := os.Chmod(dirs[i].path, mode(dirs[i].perm)); err == nil {
			err = cerr
		}
	}
	return err
}

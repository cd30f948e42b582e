// Package transfer moves files between this machine and KAMONOHASHI's
// storage: parallel uploads through the server's upload API that resume
// where an interrupted run stopped, and parallel downloads from signed
// URLs, both with a progress bar.
package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"
)

// File is a local file to upload under Name, the data file name: the base
// name of a file given alone, or dir/relative/path for one found in a
// directory given (as the console's folder upload names them).
type File struct {
	Path    string
	Name    string
	Size    int64
	ModTime time.Time
}

// Scan lists the files of paths (files and directories, walked) and checks
// before anything is sent that each can be read and is not empty, which
// the server refuses.
func Scan(paths []string) ([]File, error) {
	var out []File
	seen := map[string]string{}
	add := func(p, name string, fi fs.FileInfo) error {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if fi.Size() == 0 {
			return fmt.Errorf("%s is empty: KAMONOHASHI does not store empty files", p)
		}
		if other, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be named %q in the data", other, p, name)
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
		}
		f.Close()
		seen[name] = p
		out = append(out, File{Path: p, Name: name, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	}
	for _, root := range paths {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", root, unwrapPath(err))
		}
		if !fi.IsDir() {
			if err := add(root, filepath.Base(root), fi); err != nil {
				return nil, err
			}
			continue
		}
		base := filepath.Base(filepath.Clean(root))
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
			}
			if d.IsDir() {
				return nil
			}
			fi, err := os.Stat(p) // follows links to files
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
			}
			if fi.IsDir() {
				return fmt.Errorf("%s is a link to a directory: give that directory itself", p)
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			return add(p, path.Join(base, filepath.ToSlash(rel)), fi)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unwrapPath drops the *PathError's own copy of the path, which the
// messages above already name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

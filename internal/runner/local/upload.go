package local

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// putTree stores every regular file under dir at prefix/<relative path>.
func putTree(ctx context.Context, b storage.Batch, dir string, prefix storage.Key) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		k, err := storage.NewKey(prefix.Tenant, prefix.Type, prefix.Path+"/"+filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = b.Put(ctx, k, f)
		return err
	})
}

package storage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
)

// fsBatch writes temporary files without syncing them, then on Commit
// syncs the whole file system once, renames them all and syncs each
// directory once. It is meant for one goroutine: not safe for concurrent
// use.
type fsBatch struct {
	s       *FS
	dirs    *dirCache
	pending []batchFile
	done    bool
}

type batchFile struct {
	area, dir, tmp, name string // name and tmp are in dir
}

// Batch starts a group of puts. A batch is used by one goroutine at a time.
func (s *FS) Batch() Batch { return &fsBatch{s: s, dirs: s.dirCache()} }

func (b *fsBatch) Put(ctx context.Context, k Key, r io.Reader) (Object, error) {
	if b.done {
		return Object{}, errors.New("storage: put on a finished batch")
	}
	k, rel, err := fsKey(k)
	if err != nil {
		return Object{}, err
	}
	dir := path.Dir(rel)
	h := sha256.New()
	tmp, size, err := b.s.writeTemp(ctx, b.dirs, dir, r, h, false)
	if err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", rel, err)
	}
	b.pending = append(b.pending, batchFile{area: areaDir(k), dir: dir, tmp: tmp, name: path.Base(rel)})
	return Object{Key: k, Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), ModTime: b.s.now()}, nil
}

// Commit makes every file visible. On failure nothing of the batch stays:
// the files renamed already are removed again (a file that one of them
// replaced is lost with it).
func (b *fsBatch) Commit(ctx context.Context) error {
	if b.done {
		return errors.New("storage: commit of a finished batch")
	}
	b.done = true
	defer b.dirs.close()
	if len(b.pending) == 0 {
		return nil
	}
	// One directory after another; stable, so that a key put twice ends
	// with its last content.
	slices.SortStableFunc(b.pending, func(x, y batchFile) int { return cmp.Compare(x.dir, y.dir) })
	fail := func(renamed int, err error) error {
		for _, f := range b.pending[:renamed] {
			b.dirs.remove(f.dir, f.name)
		}
		for _, f := range b.pending[renamed:] {
			b.dirs.remove(f.dir, f.tmp)
		}
		b.prune()
		return fmt.Errorf("storage: commit batch: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fail(0, err)
	}
	tmps := make([]string, len(b.pending))
	for i, f := range b.pending {
		tmps[i] = f.dir + "/" + f.tmp
	}
	if err := syncTemps(b.s.root, tmps); err != nil {
		return fail(0, err)
	}
	for i, f := range b.pending {
		if err := b.dirs.rename(f.dir, f.tmp, f.name); err != nil {
			return fail(i, err)
		}
	}
	for i, f := range b.pending {
		if i == 0 || f.dir != b.pending[i-1].dir {
			if err := b.dirs.sync(f.dir); err != nil {
				return fail(len(b.pending), err)
			}
		}
	}
	b.pending = nil
	return nil
}

// Abort removes the files not yet committed; after Commit it does nothing.
func (b *fsBatch) Abort(ctx context.Context) error {
	if b.done {
		return nil
	}
	b.done = true
	defer b.dirs.close()
	for _, f := range b.pending {
		b.dirs.remove(f.dir, f.tmp)
	}
	b.prune()
	b.pending = nil
	return nil
}

// prune removes the directories the batch created and left empty.
func (b *fsBatch) prune() {
	b.dirs.close() // an open directory can still be removed; this is tidiness
	seen := map[string]bool{}
	for _, f := range b.pending {
		if !seen[f.dir] {
			seen[f.dir] = true
			b.s.pruneDirs(f.area, f.dir)
		}
	}
}

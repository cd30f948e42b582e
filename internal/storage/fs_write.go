package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"sync/atomic"
)

// copyBufSize is the unit of reads, hashing and writes: large enough that
// system calls cost little next to the bytes, small enough to keep memory
// flat however large the stream.
const copyBufSize = 1 << 20

// writeFile stores r at rel: a synced temporary file renamed into place,
// then the directory synced so that the rename survives a crash too.
func (s *FS) writeFile(ctx context.Context, rel string, r io.Reader) (Object, error) {
	dirs := s.dirCache()
	defer dirs.close()
	dir, name := path.Dir(rel), path.Base(rel)
	h := sha256.New()
	tmp, size, err := s.writeTemp(ctx, dirs, dir, r, h, true)
	if err != nil {
		return Object{}, err
	}
	if err := dirs.rename(dir, tmp, name); err != nil {
		return Object{}, err
	}
	if err := dirs.sync(dir); err != nil {
		return Object{}, err
	}
	o := Object{Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), ModTime: s.now()}
	if d, err := dirs.get(dir, false); err == nil {
		if st, err := d.Stat(name); err == nil {
			o.ModTime = st.ModTime()
		}
	}
	return o, nil
}

// writeTemp copies r into a new temporary file in dir (created if needed),
// feeding h, and returns the file's name in dir. With sync the data is on
// disk when it returns. On error nothing is left behind.
func (s *FS) writeTemp(ctx context.Context, dirs *dirCache, dir string, r io.Reader, h hash.Hash, sync bool) (string, int64, error) {
	d, f, tmp, err := dirs.createTemp(dir)
	if err != nil {
		return "", 0, err
	}
	size, err := s.copyHashed(ctx, f, r, h)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.Remove(tmp)
		return "", 0, err
	}
	return tmp, size, nil
}

// maxOpenDirs bounds the directories a dirCache holds open.
const maxOpenDirs = 64

// dirCache holds directories open as roots of their own, so that the
// operations on files in them are one system call each rather than a walk
// from the root (which, for many small files, costs more than writing
// them). Each stays confined to its directory, as the root is to its.
// Not safe for concurrent use.
type dirCache struct {
	root *os.Root
	open map[string]*os.Root
}

func (s *FS) dirCache() *dirCache { return &dirCache{root: s.root, open: map[string]*os.Root{}} }

// get opens dir, relative to the root, creating it if asked.
func (c *dirCache) get(dir string, create bool) (*os.Root, error) {
	if d, ok := c.open[dir]; ok {
		return d, nil
	}
	d, err := c.root.OpenRoot(dir)
	if create && errors.Is(err, fs.ErrNotExist) {
		if err = c.root.MkdirAll(dir, dirPerm); err == nil {
			d, err = c.root.OpenRoot(dir)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(c.open) >= maxOpenDirs {
		c.close()
	}
	c.open[dir] = d
	return d, nil
}

// forget closes dir, which was removed while open.
func (c *dirCache) forget(dir string) {
	if d, ok := c.open[dir]; ok {
		d.Close()
		delete(c.open, dir)
	}
}

func (c *dirCache) close() {
	for dir, d := range c.open {
		d.Close()
		delete(c.open, dir)
	}
}

// createTemp creates dir as needed and a new hidden file in it.
func (c *dirCache) createTemp(dir string) (*os.Root, *os.File, string, error) {
	for attempt := 0; ; attempt++ {
		d, err := c.get(dir, true)
		if err != nil {
			return nil, nil, "", err
		}
		name := tempPrefix + rand.Text()
		f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		// A Delete may prune the directory, empty a moment ago, between
		// opening it and creating the file; then create it again.
		if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
			c.forget(dir)
			continue
		}
		return d, f, name, err
	}
}

// rename renames old to new in dir, removing old if that fails.
func (c *dirCache) rename(dir, old, new string) error {
	d, err := c.get(dir, false)
	if err != nil {
		return err
	}
	if err := d.Rename(old, new); err != nil {
		d.Remove(old)
		return err
	}
	return nil
}

// remove removes name from dir, if both are there.
func (c *dirCache) remove(dir, name string) {
	if d, err := c.get(dir, false); err == nil {
		d.Remove(name)
	}
}

// sync makes the renames in dir durable.
func (c *dirCache) sync(dir string) error {
	d, err := c.get(dir, false)
	if err != nil {
		return err
	}
	f, err := d.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// copyHashed copies src to dst through h in copyBufSize pieces. A stream
// longer than one piece is pipelined: one goroutine reads and hashes the
// next piece while another writes the previous one, so that hashing costs
// no throughput on a machine with two cores.
func (s *FS) copyHashed(ctx context.Context, dst io.Writer, src io.Reader, h hash.Hash) (int64, error) {
	first := s.bufs.Get().(*[]byte)
	n, rerr := io.ReadFull(src, *first)
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		s.bufs.Put(first)
		return 0, rerr
	}
	if err := ctx.Err(); err != nil {
		s.bufs.Put(first)
		return 0, err
	}
	h.Write((*first)[:n])
	if rerr != nil { // the whole stream fitted: no pipeline
		_, err := dst.Write((*first)[:n])
		s.bufs.Put(first)
		return int64(n), err
	}

	type piece struct {
		b *[]byte
		n int
	}
	const depth = 2
	free := make(chan *[]byte, depth)
	full := make(chan piece, depth)
	free <- s.bufs.Get().(*[]byte)
	full <- piece{first, n}
	var writeFailed atomic.Bool
	werr := make(chan error, 1)
	go func() {
		var err error
		for p := range full {
			if err == nil {
				if _, err = dst.Write((*p.b)[:p.n]); err != nil {
					writeFailed.Store(true)
				}
			}
			free <- p.b
		}
		werr <- err
	}()

	total := int64(n)
	var err error
	for !writeFailed.Load() {
		if err = ctx.Err(); err != nil {
			break
		}
		b := <-free
		n, rerr := io.ReadFull(src, *b)
		if n > 0 {
			h.Write((*b)[:n])
			total += int64(n)
			full <- piece{b, n}
		} else {
			free <- b
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(full)
	if e := <-werr; err == nil {
		err = e
	}
	for range depth {
		s.bufs.Put(<-free)
	}
	return total, err
}

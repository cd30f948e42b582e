package storage

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// An upload lives in root/.kqi-uploads/<id>/: meta.json names its key and
// start, parts/<n> holds part n and parts/<n>.etag its "<md5> <size>".
type uploadMeta struct {
	Key     string    `json:"key"`
	Created time.Time `json:"created"`
}

// validUploadID accepts what rand.Text makes (base32, 26 characters), and
// so keeps a client's ID from naming any other path.
func validUploadID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// CreateMultipart starts an upload whose parts clients PUT to PartURL.
func (s *FS) CreateMultipart(ctx context.Context, k Key) (string, error) {
	k, _, err := fsKey(k)
	if err != nil {
		return "", err
	}
	id := rand.Text()
	dir := uploadsDir + "/" + id
	if err := s.root.MkdirAll(dir+"/parts", dirPerm); err != nil {
		return "", fmt.Errorf("storage: create upload for %s: %w", k, err)
	}
	meta, err := json.Marshal(uploadMeta{Key: k.String(), Created: s.now().UTC()})
	if err == nil {
		err = s.root.WriteFile(dir+"/meta.json", meta, filePerm)
	}
	if err != nil {
		s.root.RemoveAll(dir)
		return "", fmt.Errorf("storage: create upload for %s: %w", k, err)
	}
	return id, nil
}

func (s *FS) readUploadMeta(id string) (uploadMeta, error) {
	var m uploadMeta
	b, err := s.root.ReadFile(uploadsDir + "/" + id + "/meta.json")
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

// uploadDir returns the directory of upload id, which must be k's.
func (s *FS) uploadDir(k Key, id string) (string, error) {
	if !validUploadID(id) {
		return "", fmt.Errorf("%w: upload %q", ErrNotFound, id)
	}
	m, err := s.readUploadMeta(id)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w: upload %s", ErrNotFound, id)
		}
		return "", fmt.Errorf("storage: upload %s: %w", id, err)
	}
	if m.Key != k.String() {
		return "", fmt.Errorf("%w: upload %s is not for %s", ErrNotFound, id, k)
	}
	return uploadsDir + "/" + id, nil
}

// uploadedParts maps each complete part's number to its ETag. A part
// whose size no longer matches its record is left out: damaged.
func (s *FS) uploadedParts(dir string) (map[int]string, error) {
	entries, err := fs.ReadDir(s.root.FS(), dir+"/parts")
	if err != nil {
		return nil, err
	}
	parts := map[int]string{}
	for _, e := range entries {
		numStr, ok := strings.CutSuffix(e.Name(), ".etag")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(numStr)
		if err != nil || n < 1 {
			continue
		}
		rec, err := s.root.ReadFile(dir + "/parts/" + e.Name())
		if err != nil {
			continue
		}
		etag, sizeStr, _ := strings.Cut(string(rec), " ")
		size, err := strconv.ParseInt(sizeStr, 10, 64)
		if err != nil {
			continue
		}
		if st, err := s.root.Stat(dir + "/parts/" + numStr); err != nil || st.Size() != size {
			continue
		}
		parts[n] = etag
	}
	return parts, nil
}

// CompleteMultipart checks the client's list against the uploaded parts,
// then joins them into place as Put would and removes the upload.
func (s *FS) CompleteMultipart(ctx context.Context, k Key, uploadID string, parts []Part) (Object, error) {
	k, rel, err := fsKey(k)
	if err != nil {
		return Object{}, err
	}
	dir, err := s.uploadDir(k, uploadID)
	if err != nil {
		return Object{}, err
	}
	uploaded, err := s.uploadedParts(dir)
	if err != nil {
		return Object{}, fmt.Errorf("storage: complete %s: %w", rel, err)
	}
	if err := checkParts(parts, uploaded); err != nil {
		return Object{}, fmt.Errorf("storage: complete %s: %w", rel, err)
	}
	src := &partsReader{root: s.root, dir: dir + "/parts", last: len(parts)}
	o, err := s.writeFile(ctx, rel, src)
	src.Close()
	if err != nil {
		s.pruneDirs(areaDir(k), path.Dir(rel))
		return Object{}, fmt.Errorf("storage: complete %s: %w", rel, err)
	}
	o.Key = k
	if err := s.root.RemoveAll(dir); err != nil {
		return o, fmt.Errorf("storage: remove upload %s: %w", uploadID, err)
	}
	return o, nil
}

// partsReader reads parts 1..last one after another, opening each only
// when needed so that thousands of parts take one descriptor.
type partsReader struct {
	root      *os.Root
	dir       string
	next      int // the part to open after cur
	last      int
	cur       *os.File
	curNumber int
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if p.next == 0 {
				p.next = 1
			}
			if p.next > p.last {
				return 0, io.EOF
			}
			f, err := p.root.Open(p.dir + "/" + strconv.Itoa(p.next))
			if err != nil {
				return 0, fmt.Errorf("part %d: %w", p.next, err)
			}
			p.cur, p.curNumber = f, p.next
			p.next++
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		if err != nil {
			err = fmt.Errorf("part %d: %w", p.curNumber, err)
		}
		return n, err
	}
}

func (p *partsReader) Close() error {
	if p.cur != nil {
		return p.cur.Close()
	}
	return nil
}

// AbortMultipart removes an upload and its parts.
func (s *FS) AbortMultipart(ctx context.Context, k Key, uploadID string) error {
	k, _, err := fsKey(k)
	if err != nil {
		return err
	}
	dir, err := s.uploadDir(k, uploadID)
	if err != nil {
		return err
	}
	if err := s.root.RemoveAll(dir); err != nil {
		return fmt.Errorf("storage: abort upload %s: %w", uploadID, err)
	}
	return nil
}

// CleanupMultipart removes uploads started before cutoff. An upload whose
// record cannot be read (a crash while creating it) counts from its
// directory's time.
func (s *FS) CleanupMultipart(ctx context.Context, cutoff time.Time) (int, error) {
	entries, err := fs.ReadDir(s.root.FS(), uploadsDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("storage: list uploads: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !e.IsDir() {
			continue
		}
		started := time.Time{}
		if m, err := s.readUploadMeta(e.Name()); err == nil {
			started = m.Created
		} else if info, err := e.Info(); err == nil {
			started = info.ModTime()
		} else {
			continue
		}
		if !started.Before(cutoff) {
			continue
		}
		if err := s.root.RemoveAll(uploadsDir + "/" + e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("storage: cleanup uploads: %w", errors.Join(errs...))
	}
	return removed, nil
}

package transfer

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// journalTTL is how long an interrupted upload may be resumed: the
// server's signed URLs live 24 h, and it removes uploads that were not
// registered an hour after that.
const journalTTL = 20 * time.Hour

// record is one line of a journal.
type record struct {
	T          string    `json:"t"` // begin, file (a whole file stored), start (multipart begun), part
	At         time.Time `json:"at,omitzero"`
	Name       string    `json:"name,omitempty"`
	StoredPath string    `json:"storedPath,omitempty"`
	UploadID   string    `json:"uploadId,omitempty"`
	Key        string    `json:"key,omitempty"`
	URIs       []string  `json:"uris,omitempty"`
	PartSize   int64     `json:"partSize,omitempty"`
	Part       int       `json:"part,omitempty"`
	ETag       string    `json:"etag,omitempty"`
}

// multipart is a file sent in parts, as far as it got.
type multipart struct {
	UploadID, Key, StoredPath string
	URIs                      []string
	PartSize                  int64
	ETags                     map[int]string
}

// journal is the state of one upload batch, appended line by line to a
// file under ~/.kqi/uploads named after what is uploaded (server, type,
// and each file's name, path, size and modification time), so that
// running the same command again finds it and skips what is done.
type journal struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	stored map[string]string // name → stored path
	parts  map[string]*multipart
}

func journalKey(server, typ string, files []File) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", server, typ)
	for _, f := range files {
		abs, _ := filepath.Abs(f.Path)
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00", f.Name, abs, f.Size, f.ModTime.UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// openJournal loads the journal of files, or starts one; dir "" keeps the
// state in memory only.
func openJournal(dir, server, typ string, files []File, now time.Time) (*journal, error) {
	j := &journal{stored: map[string]string{}, parts: map[string]*multipart{}}
	if dir == "" {
		return j, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	j.path = filepath.Join(dir, journalKey(server, typ, files)+".jsonl")
	if fresh := j.load(now); !fresh {
		_ = os.Remove(j.path)
	}
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the upload journal: %w", err)
	}
	j.f = f
	if len(j.stored) == 0 && len(j.parts) == 0 {
		_ = f.Truncate(0)
		j.write(record{T: "begin", At: now})
	}
	return j, nil
}

// load reads the file; it reports false when there is none worth keeping.
func (j *journal) load(now time.Time) bool {
	f, err := os.Open(j.path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for first := true; sc.Scan(); first = false {
		var r record
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // a line cut short by a crash
		}
		if first && (r.T != "begin" || now.Sub(r.At) > journalTTL) {
			return false
		}
		switch r.T {
		case "file":
			j.stored[r.Name] = r.StoredPath
		case "start":
			j.parts[r.Name] = &multipart{UploadID: r.UploadID, Key: r.Key, StoredPath: r.StoredPath,
				URIs: r.URIs, PartSize: r.PartSize, ETags: map[int]string{}}
		case "part":
			if m := j.parts[r.Name]; m != nil {
				m.ETags[r.Part] = r.ETag
			}
		}
	}
	return true
}

// write appends a record. A lost line costs only a repeated upload, so
// writes are not synced and their errors do not stop the upload.
func (j *journal) write(r record) {
	if j.f == nil {
		return
	}
	b, _ := json.Marshal(r)
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = j.f.Write(append(b, '\n'))
}

func (j *journal) fileStored(name, storedPath string) {
	j.mu.Lock()
	j.stored[name] = storedPath
	j.mu.Unlock()
	j.write(record{T: "file", Name: name, StoredPath: storedPath})
}

func (j *journal) storedPath(name string) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.stored[name]
	return p, ok
}

func (j *journal) started(name string, m *multipart) {
	j.mu.Lock()
	j.parts[name] = m
	j.mu.Unlock()
	j.write(record{T: "start", Name: name, UploadID: m.UploadID, Key: m.Key, StoredPath: m.StoredPath,
		URIs: m.URIs, PartSize: m.PartSize})
}

func (j *journal) multipart(name string) *multipart {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.parts[name]
}

func (j *journal) partDone(name string, n int, etag string) {
	j.mu.Lock()
	j.parts[name].ETags[n] = etag
	j.mu.Unlock()
	j.write(record{T: "part", Name: name, Part: n, ETag: etag})
}

func (j *journal) etag(name string, n int) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.parts[name].ETags[n]
}

func (j *journal) close() {
	if j.f != nil {
		j.f.Close()
	}
}

// remove deletes the journal once its uploads are registered.
func (j *journal) remove() {
	j.close()
	if j.path != "" {
		_ = os.Remove(j.path)
	}
}

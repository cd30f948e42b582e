package storage_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

const mib = 1 << 20

// signedServer is the directory backend's handler for its own URLs.
type signedServer interface {
	ServeSigned(w http.ResponseWriter, r *http.Request) error
}

// statusOf maps ServeSigned's errors as the API server does.
func statusOf(err error) int {
	switch {
	case errors.Is(err, storage.ErrSignature), errors.Is(err, storage.ErrExpired):
		return http.StatusForbidden
	case errors.Is(err, storage.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, storage.ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// env is one contract test's store, with a fresh tenant and, for a backend
// that serves its own URLs, a server at base.
type env struct {
	st     storage.Store
	tenant string
	base   string
}

func newEnv(t *testing.T, newStore func(t *testing.T) storage.Store) env {
	t.Helper()
	st := newStore(t)
	e := env{st: st, tenant: newTenantName(), base: "http://unused.invalid"}
	if err := st.EnsureTenant(t.Context(), e.tenant); err != nil {
		t.Fatalf("EnsureTenant(%s): %v", e.tenant, err)
	}
	if ss, ok := st.(signedServer); ok {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := ss.ServeSigned(w, r); err != nil {
				http.Error(w, err.Error(), statusOf(err))
			}
		}))
		t.Cleanup(srv.Close)
		e.base = srv.URL
	}
	return e
}

// newTenantName is unique and also a valid bucket name.
func newTenantName() string { return "kqit-" + strings.ToLower(rand.Text()[:12]) }

func (e env) key(t *testing.T, p string) storage.Key {
	t.Helper()
	k, err := storage.NewKey(e.tenant, storage.Data, p)
	if err != nil {
		t.Fatalf("NewKey(%q): %v", p, err)
	}
	return k
}

func (e env) put(t *testing.T, p string, data []byte) storage.Object {
	t.Helper()
	o, err := e.st.Put(t.Context(), e.key(t, p), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%s): %v", p, err)
	}
	return o
}

func (e env) read(t *testing.T, p string) []byte {
	t.Helper()
	rc, _, err := e.st.Open(t.Context(), e.key(t, p), 0, -1)
	if err != nil {
		t.Fatalf("Open(%s): %v", p, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

// wantAbsent checks that p is not stored, nor listed in its directory.
func (e env) wantAbsent(t *testing.T, p string) {
	t.Helper()
	if o, err := e.st.Stat(t.Context(), e.key(t, p)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%s) = %+v, %v; want ErrNotFound", p, o, err)
	}
	dir := ""
	if i := strings.LastIndex(p, "/"); i >= 0 {
		dir = p[:i]
	}
	_, files, err := e.st.List(t.Context(), e.tenant, storage.Data, dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	for _, f := range files {
		if f.Key.Path == p {
			t.Errorf("List(%q) shows %s", dir, p)
		}
	}
}

// listing is List reduced to what the tests compare.
type listing struct {
	Dirs  []string
	Files map[string]int64 // path to size
}

func (e env) list(t *testing.T, dir string) listing {
	t.Helper()
	dirs, files, err := e.st.List(t.Context(), e.tenant, storage.Data, dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	l := listing{Dirs: dirs, Files: map[string]int64{}}
	var paths []string
	for _, f := range files {
		l.Files[f.Key.Path] = f.Size
		paths = append(paths, f.Key.Path)
	}
	if !sortedStrings(dirs) || !sortedStrings(paths) {
		t.Errorf("List(%q) is not sorted: dirs %q, files %q", dir, dirs, paths)
	}
	return l
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			return false
		}
	}
	return true
}

// payload is n reproducible pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// failingReader yields data for n bytes, then fails.
type failingReader struct {
	data []byte
	n    int
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(len(p), f.n, len(f.data))]
	copy(p, f.data)
	f.data, f.n = f.data[len(p):], f.n-len(p)
	return len(p), nil
}

// cancellingReader cancels its context after n bytes, then keeps giving
// data, as a client whose request ends mid-stream.
type cancellingReader struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// httpDo sends a request and returns the answer with its body read.
func httpDo(t *testing.T, method, u string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp, b
}

// uploadPart PUTs data to the signed URL of part n and returns its ETag.
func (e env) uploadPart(t *testing.T, k storage.Key, id string, n int, data []byte) string {
	t.Helper()
	u, err := e.st.PartURL(t.Context(), e.base, k, id, n, time.Hour)
	if err != nil {
		t.Fatalf("PartURL(%d): %v", n, err)
	}
	resp, body := httpDo(t, http.MethodPut, u, data, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT part %d: %s %s", n, resp.Status, body)
	}
	etag := resp.Header.Get("ETag")
	md5hex := fmt.Sprintf("%x", md5.Sum(data))
	if strings.Trim(etag, `"`) != md5hex {
		t.Errorf("PUT part %d: ETag %s, want the part's MD5 %s", n, etag, md5hex)
	}
	return etag
}

// tamper changes the signature of a signed URL, whichever backend made it.
func tamper(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for _, name := range []string{"sig", "X-Amz-Signature"} {
		if s := q.Get(name); s != "" {
			flipped := "0"
			if s[len(s)-1] == '0' {
				flipped = "1"
			}
			q.Set(name, s[:len(s)-1]+flipped)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	t.Fatalf("no signature in %s", raw)
	return ""
}

// testStore is the contract every backend keeps.
func testStore(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Run("put then open gives back the bytes and their SHA-256", func(t *testing.T) {
		e := newEnv(t, newStore)
		for name, size := range map[string]int{
			"an empty file":                      0,
			"one byte":                           1,
			"just under one copy buffer":         mib - 1,
			"one copy buffer exactly":            mib,
			"just over one copy buffer":          mib + 1,
			"several copy buffers":               3*mib + 5,
			"one byte over a single S3 PUT":      16*mib + 1,
			"several S3 parts with a short last": 33 * mib,
		} {
			t.Run(name, func(t *testing.T) {
				data := payload(size, uint64(size))
				p := "sizes/" + strings.ReplaceAll(name, " ", "_") + ".bin"
				o := e.put(t, p, data)
				want := storage.Object{Key: e.key(t, p), Size: int64(size), SHA256: sha(data)}
				if diff := cmp.Diff(want, o, cmpopts.IgnoreFields(storage.Object{}, "ModTime")); diff != "" {
					t.Errorf("Put returned (-want +got):\n%s", diff)
				}
				if got := e.read(t, p); !bytes.Equal(got, data) {
					t.Errorf("Open read %d bytes (sha %s), want %d (sha %s)", len(got), sha(got), len(data), sha(data))
				}
				st, err := e.st.Stat(t.Context(), e.key(t, p))
				if err != nil || st.Size != int64(size) {
					t.Errorf("Stat = %+v, %v; want size %d", st, err, size)
				}
			})
		}
	})

	t.Run("a second put replaces the first", func(t *testing.T) {
		e := newEnv(t, newStore)
		e.put(t, "a.txt", []byte("first version, longer"))
		e.put(t, "a.txt", []byte("second"))
		if got := string(e.read(t, "a.txt")); got != "second" {
			t.Errorf("read %q, want %q", got, "second")
		}
	})

	t.Run("ranged opens read the part asked for", func(t *testing.T) {
		e := newEnv(t, newStore)
		data := payload(100, 7)
		e.put(t, "r.bin", data)
		for name, tc := range map[string]struct {
			offset, length int64
			want           []byte
			err            error
		}{
			"everything":                            {0, -1, data, nil},
			"a slice in the middle":                 {10, 20, data[10:30], nil},
			"from an offset to the end":             {90, -1, data[90:], nil},
			"a length past the end stops there":     {95, 100, data[95:], nil},
			"nothing at the very end":               {100, -1, []byte{}, nil},
			"zero bytes":                            {5, 0, []byte{}, nil},
			"an offset past the end is refused":     {101, -1, nil, storage.ErrInvalid},
			"a negative offset is refused":          {-1, 5, nil, storage.ErrInvalid},
			"the first byte only":                   {0, 1, data[:1], nil},
			"the last byte only":                    {99, 1, data[99:], nil},
			"a zero-length read at the end is ok":   {100, 0, []byte{}, nil},
			"a zero-length read past it is refused": {101, 0, nil, storage.ErrInvalid},
		} {
			t.Run(name, func(t *testing.T) {
				rc, o, err := e.st.Open(t.Context(), e.key(t, "r.bin"), tc.offset, tc.length)
				if !errors.Is(err, tc.err) {
					t.Fatalf("Open(%d, %d) error = %v, want %v", tc.offset, tc.length, err, tc.err)
				}
				if err != nil {
					return
				}
				defer rc.Close()
				got, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tc.want) {
					t.Errorf("Open(%d, %d) read %d bytes, want %d", tc.offset, tc.length, len(got), len(tc.want))
				}
				if o.Size != 100 {
					t.Errorf("Open(%d, %d) object size %d, want the whole file's 100", tc.offset, tc.length, o.Size)
				}
			})
		}
	})

	t.Run("a put that fails midway leaves nothing, nor harms the file it would replace", func(t *testing.T) {
		e := newEnv(t, newStore)
		old := []byte("the old content")
		e.put(t, "keep/old.txt", old)
		for name, tc := range map[string]struct {
			path   string
			reader func(cancel context.CancelFunc) io.Reader
		}{
			"the reader fails in the first buffer": {"new/small.bin", func(context.CancelFunc) io.Reader {
				return &failingReader{data: payload(100, 1), n: 10, err: errors.New("disk on fire")}
			}},
			"the reader fails after several parts": {"new/large.bin", func(context.CancelFunc) io.Reader {
				return &failingReader{data: payload(40*mib, 2), n: 35 * mib, err: errors.New("connection reset")}
			}},
			"the reader fails while replacing a file": {"keep/old.txt", func(context.CancelFunc) io.Reader {
				return &failingReader{data: payload(3*mib, 3), n: 2 * mib, err: errors.New("connection reset")}
			}},
			"the context ends midway": {"new/cancelled.bin", func(cancel context.CancelFunc) io.Reader {
				return &cancellingReader{r: bytes.NewReader(payload(40*mib, 4)), n: 20 * mib, cancel: cancel}
			}},
		} {
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				o, err := e.st.Put(ctx, e.key(t, tc.path), tc.reader(cancel))
				if err == nil {
					t.Fatalf("Put succeeded with %+v; want an error", o)
				}
				if tc.path == "keep/old.txt" {
					if got := e.read(t, tc.path); !bytes.Equal(got, old) {
						t.Errorf("after the failed put the file holds %d bytes, want the old %q", len(got), old)
					}
					return
				}
				e.wantAbsent(t, tc.path)
			})
		}
	})

	t.Run("a committed batch shows every file", func(t *testing.T) {
		e := newEnv(t, newStore)
		b := e.st.Batch()
		defer b.Abort(t.Context())
		want := map[string][]byte{}
		for i := range 200 {
			p := fmt.Sprintf("batch/d%d/f%03d.txt", i%7, i)
			want[p] = payload(i*13, uint64(i))
			o, err := b.Put(t.Context(), e.key(t, p), bytes.NewReader(want[p]))
			if err != nil {
				t.Fatalf("batch Put(%s): %v", p, err)
			}
			if o.SHA256 != sha(want[p]) || o.Size != int64(len(want[p])) {
				t.Errorf("batch Put(%s) = %+v; want size %d, sha %s", p, o, len(want[p]), sha(want[p]))
			}
		}
		if err := b.Commit(t.Context()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		for p, data := range want {
			if got := e.read(t, p); !bytes.Equal(got, data) {
				t.Errorf("%s holds %d bytes, want %d", p, len(got), len(data))
			}
		}
		if got := e.list(t, "batch"); len(got.Dirs) != 7 {
			t.Errorf("List(batch) dirs = %q, want d0..d6", got.Dirs)
		}
		if err := b.Abort(t.Context()); err != nil {
			t.Errorf("Abort after Commit: %v", err)
		}
		if len(e.list(t, "batch/d0").Files) != 29 { // i%7 == 0 for 29 of 0..199
			t.Errorf("Abort after Commit removed files")
		}
	})

	t.Run("an aborted batch leaves nothing", func(t *testing.T) {
		e := newEnv(t, newStore)
		b := e.st.Batch()
		for i := range 50 {
			p := fmt.Sprintf("aborted/f%02d.txt", i)
			if _, err := b.Put(t.Context(), e.key(t, p), bytes.NewReader(payload(100+i, uint64(i)))); err != nil {
				t.Fatalf("batch Put(%s): %v", p, err)
			}
		}
		big := payload(2*mib, 9) // stored by Put itself on S3
		if _, err := b.Put(t.Context(), e.key(t, "aborted/big.bin"), bytes.NewReader(big)); err != nil {
			t.Fatalf("batch Put(big): %v", err)
		}
		if err := b.Abort(t.Context()); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if got := e.list(t, ""); len(got.Dirs)+len(got.Files) != 0 {
			t.Errorf("after Abort the area lists %+v, want nothing", got)
		}
		e.wantAbsent(t, "aborted/f00.txt")
		e.wantAbsent(t, "aborted/big.bin")
		if err := b.Commit(t.Context()); err == nil {
			t.Errorf("Commit after Abort succeeded; want an error")
		}
	})

	t.Run("list, delete and delete-prefix see directories as S3 prefixes", func(t *testing.T) {
		e := newEnv(t, newStore)
		for p, size := range map[string]int{"e.txt": 1, "ab.txt": 2, "a/d.txt": 3, "a/b/c.txt": 4, "a/b/x/y.txt": 5} {
			e.put(t, p, payload(size, 0))
		}
		steps := []struct {
			name string
			do   func() error
			dir  string
			want listing
		}{
			{"the area's root", nil, "", listing{Dirs: []string{"a"}, Files: map[string]int64{"ab.txt": 2, "e.txt": 1}}},
			{"a directory", nil, "a", listing{Dirs: []string{"b"}, Files: map[string]int64{"a/d.txt": 3}}},
			{"a directory with a trailing slash", nil, "a/", listing{Dirs: []string{"b"}, Files: map[string]int64{"a/d.txt": 3}}},
			{"a directory that does not exist", nil, "nope", listing{Files: map[string]int64{}}},
			{"after deleting a file", func() error { return e.st.Delete(t.Context(), e.key(t, "a/d.txt")) },
				"a", listing{Dirs: []string{"b"}, Files: map[string]int64{}}},
			{"after deleting a file that is not there", func() error { return e.st.Delete(t.Context(), e.key(t, "a/missing.txt")) },
				"a", listing{Dirs: []string{"b"}, Files: map[string]int64{}}},
			{"after deleting the last file of a directory", func() error { return e.st.Delete(t.Context(), e.key(t, "a/b/x/y.txt")) },
				"a/b", listing{Files: map[string]int64{"a/b/c.txt": 4}}},
			{"after deleting prefix a, ab.txt stays", func() error { return e.st.DeletePrefix(t.Context(), e.tenant, storage.Data, "a") },
				"", listing{Files: map[string]int64{"ab.txt": 2, "e.txt": 1}}},
			{"after deleting a prefix that is not there", func() error { return e.st.DeletePrefix(t.Context(), e.tenant, storage.Data, "zzz/") },
				"", listing{Files: map[string]int64{"ab.txt": 2, "e.txt": 1}}},
			{"after deleting the whole area", func() error { return e.st.DeletePrefix(t.Context(), e.tenant, storage.Data, "") },
				"", listing{Files: map[string]int64{}}},
		}
		for _, s := range steps {
			if s.do != nil {
				if err := s.do(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
			}
			if diff := cmp.Diff(s.want, e.list(t, s.dir)); diff != "" {
				t.Errorf("%s: List(%q) (-want +got):\n%s", s.name, s.dir, diff)
			}
		}
	})

	t.Run("areas and tenants are apart", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "same.txt")
		other := k
		other.Type = storage.TrainingHistoryAttachedFiles
		if _, err := e.st.Put(t.Context(), other, strings.NewReader("training")); err != nil {
			t.Fatal(err)
		}
		e.put(t, "same.txt", []byte("data"))
		if err := e.st.DeletePrefix(t.Context(), e.tenant, storage.TrainingHistoryAttachedFiles, ""); err != nil {
			t.Fatal(err)
		}
		if got := string(e.read(t, "same.txt")); got != "data" {
			t.Errorf("Data/same.txt = %q after deleting another area, want %q", got, "data")
		}
		if _, err := e.st.Stat(t.Context(), other); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat of the deleted area's file: %v, want ErrNotFound", err)
		}
	})

	t.Run("a type spelled in lower case names the same area", func(t *testing.T) {
		e := newEnv(t, newStore)
		e.put(t, "case.txt", []byte("x"))
		k := e.key(t, "case.txt")
		k.Type = "data"
		if o, err := e.st.Stat(t.Context(), k); err != nil || o.Size != 1 {
			t.Errorf("Stat with type %q = %+v, %v; want the Data file", k.Type, o, err)
		}
	})

	t.Run("missing objects and uploads are ErrNotFound", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "missing.txt")
		if _, _, err := e.st.Open(t.Context(), k, 0, -1); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open: %v, want ErrNotFound", err)
		}
		if _, err := e.st.Stat(t.Context(), k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat: %v, want ErrNotFound", err)
		}
		if _, err := e.st.CompleteMultipart(t.Context(), k, "NOSUCHUPLOADAAAAAAAAAAAAAA", []storage.Part{{Number: 1, ETag: "x"}}); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("CompleteMultipart of an unknown upload: %v, want ErrNotFound", err)
		}
		if err := e.st.AbortMultipart(t.Context(), k, "NOSUCHUPLOADAAAAAAAAAAAAAA"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("AbortMultipart of an unknown upload: %v, want ErrNotFound", err)
		}
	})

	t.Run("bad keys are refused before any I/O", func(t *testing.T) {
		e := newEnv(t, newStore)
		for name, k := range map[string]storage.Key{
			"a path climbing out":  {Tenant: e.tenant, Type: storage.Data, Path: "../x"},
			"an absolute path":     {Tenant: e.tenant, Type: storage.Data, Path: "/etc/passwd"},
			"an unknown area":      {Tenant: e.tenant, Type: "Secrets", Path: "x"},
			"a tenant with slash":  {Tenant: "a/b", Type: storage.Data, Path: "x"},
			"a reserved temp name": {Tenant: e.tenant, Type: storage.Data, Path: "a/.kqi-tmp-x"},
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := e.st.Put(t.Context(), k, strings.NewReader("x")); !errors.Is(err, storage.ErrInvalid) {
					t.Errorf("Put: %v, want ErrInvalid", err)
				}
				if _, err := e.st.Stat(t.Context(), k); !errors.Is(err, storage.ErrInvalid) {
					t.Errorf("Stat: %v, want ErrInvalid", err)
				}
			})
		}
	})

	t.Run("a multipart upload through signed URLs", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "mp/データ.bin")
		id, err := e.st.CreateMultipart(t.Context(), k)
		if err != nil {
			t.Fatalf("CreateMultipart: %v", err)
		}
		part1, part2 := payload(5*mib, 11), payload(1000, 12)
		etag1 := e.uploadPart(t, k, id, 1, part1)
		e.uploadPart(t, k, id, 2, payload(2000, 13)) // replaced below
		etag2 := e.uploadPart(t, k, id, 2, part2)

		for name, parts := range map[string][]storage.Part{
			"no parts":                      nil,
			"a wrong ETag":                  {{Number: 1, ETag: etag1}, {Number: 2, ETag: `"0123456789abcdef0123456789abcdef"`}},
			"the ETag of the replaced part": {{Number: 1, ETag: etag1}, {Number: 2, ETag: fmt.Sprintf("%x", md5.Sum(payload(2000, 13)))}},
			"a part never uploaded":         {{Number: 1, ETag: etag1}, {Number: 2, ETag: etag2}, {Number: 3, ETag: etag2}},
			"parts out of order":            {{Number: 2, ETag: etag2}, {Number: 1, ETag: etag1}},
			"a part listed twice":           {{Number: 1, ETag: etag1}, {Number: 1, ETag: etag1}, {Number: 2, ETag: etag2}},
			"a gap in the numbers":          {{Number: 1, ETag: etag1}, {Number: 3, ETag: etag2}},
			"an uploaded part left out":     {{Number: 1, ETag: etag1}},
		} {
			t.Run("refused: "+name, func(t *testing.T) {
				o, err := e.st.CompleteMultipart(t.Context(), k, id, parts)
				if !errors.Is(err, storage.ErrInvalid) {
					t.Fatalf("CompleteMultipart = %+v, %v; want ErrInvalid", o, err)
				}
				e.wantAbsent(t, k.Path)
			})
		}

		// The refusals left the upload intact; ETags without quotes are fine.
		o, err := e.st.CompleteMultipart(t.Context(), k, id, []storage.Part{
			{Number: 1, ETag: strings.Trim(etag1, `"`)}, {Number: 2, ETag: etag2},
		})
		if err != nil {
			t.Fatalf("CompleteMultipart: %v", err)
		}
		whole := append(append([]byte{}, part1...), part2...)
		if o.Size != int64(len(whole)) || o.SHA256 != sha(whole) {
			t.Errorf("CompleteMultipart = size %d sha %s; want %d, %s", o.Size, o.SHA256, len(whole), sha(whole))
		}
		if got := e.read(t, k.Path); !bytes.Equal(got, whole) {
			t.Errorf("the completed file has %d bytes (sha %s), want %d (sha %s)", len(got), sha(got), len(whole), sha(whole))
		}
		if _, err := e.st.CompleteMultipart(t.Context(), k, id, []storage.Part{{Number: 1, ETag: etag1}}); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("completing the upload again: %v, want ErrNotFound", err)
		}
	})

	t.Run("signed URLs refuse tampering", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "tamper/file.bin")
		id, err := e.st.CreateMultipart(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		defer e.st.AbortMultipart(t.Context(), k, id)
		e.put(t, "tamper/other.bin", []byte("other"))
		partURL, err := e.st.PartURL(t.Context(), e.base, k, id, 1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		getURL, err := e.st.GetURL(t.Context(), e.base, e.key(t, "tamper/other.bin"), "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct{ method, url string }{
			"a part URL with another signature":     {http.MethodPut, tamper(t, partURL)},
			"a part URL moved to another object":    {http.MethodPut, strings.Replace(partURL, "file.bin", "evil.bin", 1)},
			"a download URL with another signature": {http.MethodGet, tamper(t, getURL)},
			"a download URL moved to another file":  {http.MethodGet, strings.Replace(getURL, "other.bin", "file.bin", 1)},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := httpDo(t, tc.method, tc.url, []byte("payload"), nil)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s = %s %s; want 403", tc.method, resp.Status, body)
				}
			})
		}
		e.wantAbsent(t, "tamper/evil.bin")
	})

	t.Run("a download URL serves the file as an attachment, with ranges", func(t *testing.T) {
		e := newEnv(t, newStore)
		data := payload(1000, 21)
		k := e.key(t, "dl/x.bin")
		e.put(t, k.Path, data)
		u, err := e.st.GetURL(t.Context(), e.base, k, "学習 data.csv", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := httpDo(t, http.MethodGet, u, nil, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET = %s with %d bytes; want 200 with %d", resp.Status, len(body), len(data))
		}
		cd := resp.Header.Get("Content-Disposition")
		for _, want := range []string{"attachment", `filename="__ data.csv"`, "filename*=UTF-8''%E5%AD%A6%E7%BF%92%20data.csv"} {
			if !strings.Contains(cd, want) {
				t.Errorf("Content-Disposition %q lacks %q", cd, want)
			}
		}
		resp, body = httpDo(t, http.MethodGet, u, nil, http.Header{"Range": {"bytes=100-199"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
			t.Errorf("GET with Range = %s with %d bytes; want 206 with bytes 100-199", resp.Status, len(body))
		}
	})

	t.Run("cleanup aborts only uploads older than the cutoff", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "cleanup/f.bin")
		id, err := e.st.CreateMultipart(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CleanupMultipart(t.Context(), time.Now().Add(-time.Hour)); err != nil {
			t.Fatalf("CleanupMultipart(an hour ago): %v", err)
		}
		etag := e.uploadPart(t, k, id, 1, []byte("still there")) // the upload survived
		n, err := e.st.CleanupMultipart(t.Context(), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("CleanupMultipart(in an hour): %v", err)
		}
		if n < 1 {
			t.Errorf("CleanupMultipart(in an hour) removed %d uploads, want at least ours", n)
		}
		if _, err := e.st.CompleteMultipart(t.Context(), k, id, []storage.Part{{Number: 1, ETag: etag}}); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("CompleteMultipart after cleanup: %v, want ErrNotFound", err)
		}
		e.wantAbsent(t, k.Path)
	})

	t.Run("an aborted upload is gone", func(t *testing.T) {
		e := newEnv(t, newStore)
		k := e.key(t, "abort/f.bin")
		id, err := e.st.CreateMultipart(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		etag := e.uploadPart(t, k, id, 1, []byte("part"))
		if err := e.st.AbortMultipart(t.Context(), k, id); err != nil {
			t.Fatalf("AbortMultipart: %v", err)
		}
		if _, err := e.st.CompleteMultipart(t.Context(), k, id, []storage.Part{{Number: 1, ETag: etag}}); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("CompleteMultipart after abort: %v, want ErrNotFound", err)
		}
		e.wantAbsent(t, k.Path)
	})
}

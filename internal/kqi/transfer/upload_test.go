package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeServer is the upload API in memory: parts PUT to an httptest server.
type fakeServer struct {
	mu       sync.Mutex
	srv      *httptest.Server
	puts     []string // part URLs PUT, in any order
	failPart string   // a part URL answered 403 once
	streams  int
}

func newFake(t *testing.T) *fakeServer {
	f := &fakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path == f.failPart {
			f.failPart = ""
			w.WriteHeader(http.StatusForbidden)
			return
		}
		f.puts = append(f.puts, r.URL.Path)
		w.Header().Set("ETag", `"e`+strings.TrimPrefix(r.URL.Path, "/part/")+`"`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) Do(_ context.Context, method, path string, q url.Values, in, out any) error {
	switch path {
	case "/upload/parameter":
		var uris []string
		var n int
		fmt.Sscan(q.Get("partSum"), &n)
		for i := 1; i <= n; i++ {
			uris = append(uris, fmt.Sprintf("%s/part/%d", f.srv.URL, i))
		}
		p := out.(*struct {
			UploadID   string   `json:"uploadId"`
			Key        string   `json:"key"`
			StoredPath string   `json:"storedPath"`
			URIs       []string `json:"uris"`
		})
		p.UploadID, p.Key, p.StoredPath, p.URIs = "u1", "Data/s1", "s1", uris
	case "/upload/complete":
		if got := fmt.Sprint(in.(map[string]any)["partETags"]); got != "[1+e1 2+e2 3+e3]" {
			return fmt.Errorf("partETags %s", got)
		}
	}
	return nil
}

func (f *fakeServer) Send(_ context.Context, _, _ string, _ url.Values, _ string, body io.Reader, _ int64, out any) error {
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	f.mu.Lock()
	f.streams++
	f.mu.Unlock()
	out.(*struct {
		StoredPath string `json:"storedPath"`
	}).StoredPath = "small"
	return nil
}

func TestUploadResumesAfterAFailedPart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(path, make([]byte, 2500), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Scan([]string{path, filepath.Join(dir, "small.txt")})
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	f.failPart = "/part/2"
	u := &Uploader{API: f, HTTP: f.srv.Client(), Server: "s", Type: "Data", Parallel: 1, PartSize: 1000,
		StateDir: filepath.Join(dir, "state")}
	var inc *Incomplete
	if _, err := u.Upload(context.Background(), files); !errors.As(err, &inc) || inc.Done != 1 {
		t.Fatalf("first run: %v, want Incomplete with the small file done", err)
	}
	b, err := u.Upload(context.Background(), files)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if f.streams != 1 || strings.Join(f.puts, ",") != "/part/1,/part/2,/part/3" || b.Resumed != 1 {
		t.Errorf("streams %d, puts %v, resumed %d: want the small file and part 1 sent once", f.streams, f.puts, b.Resumed)
	}
	if b.Files[0].StoredPath != "s1" || b.Files[1].StoredPath != "small" {
		t.Errorf("stored %+v", b.Files)
	}
	b.Forget()
	if ents, _ := os.ReadDir(u.StateDir); len(ents) != 0 {
		t.Errorf("journal left: %v", ents)
	}
}

func TestUploadOfAFileThatVanishesOrShrinks(t *testing.T) {
	for name, change := range map[string]func(string) error{
		"vanished": os.Remove,
		"changed":  func(p string) error { return os.Truncate(p, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.txt")
			if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			files, err := Scan([]string{path})
			if err != nil {
				t.Fatal(err)
			}
			if err := change(path); err != nil {
				t.Fatal(err)
			}
			f := newFake(t)
			u := &Uploader{API: f, HTTP: f.srv.Client(), Type: "Data", Parallel: 2}
			if _, err := u.Upload(context.Background(), files); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("err %v, want it to say %q", err, name)
			}
		})
	}
}

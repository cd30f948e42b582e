package storage_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

const signKey = "0123456789abcdef0123456789abcdef"

// newFS is a directory backend in a fresh directory.
func newFS(t testing.TB, opts ...storage.FSOption) (*storage.FS, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := storage.NewFS(dir, []byte(signKey), opts...)
	if err != nil {
		t.Fatalf("NewFS: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestFS(t *testing.T) {
	testStore(t, func(t *testing.T) storage.Store {
		s, _ := newFS(t)
		return s
	})
}

func TestNewFSWantsALongEnoughKey(t *testing.T) {
	if _, err := storage.NewFS(t.TempDir(), []byte("short")); err == nil {
		t.Error("NewFS with a 5-byte signing key succeeded; want an error")
	}
}

// temporaries lists the files being written anywhere under dir.
func temporaries(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".kqi-tmp-") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestFSLeavesNoTemporaryFiles(t *testing.T) {
	s, dir := newFS(t)
	ctx := t.Context()
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "a/b.bin"}
	for name, do := range map[string]func() error{
		"a put whose reader fails": func() error {
			_, err := s.Put(ctx, k, &failingReader{data: payload(5*mib, 1), n: 3 * mib, err: errors.New("boom")})
			return err
		},
		"an aborted batch": func() error {
			b := s.Batch()
			for i := range 10 {
				if _, err := b.Put(ctx, k, bytes.NewReader(payload(i, 0))); err != nil {
					return err
				}
			}
			return b.Abort(ctx)
		},
		"a part upload whose body fails": func() error {
			id, err := s.CreateMultipart(ctx, k)
			if err != nil {
				return err
			}
			u, err := s.PartURL(ctx, "http://x", k, id, 1, time.Hour)
			if err != nil {
				return err
			}
			body := &failingReader{data: payload(3*mib, 2), n: 2 * mib, err: errors.New("client went away")}
			return s.ServeSigned(httptest.NewRecorder(), httptest.NewRequest(http.MethodPut, u, body))
		},
	} {
		t.Run(name, func(t *testing.T) {
			_ = do() // failing is the point for most; the leftovers are what count
			if tmp := temporaries(t, dir); len(tmp) != 0 {
				t.Errorf("left behind: %q", tmp)
			}
		})
	}
}

func TestFSBatchIsInvisibleUntilCommit(t *testing.T) {
	s, dir := newFS(t)
	ctx := t.Context()
	b := s.Batch()
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "d/f.txt"}
	if _, err := b.Put(ctx, k, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, k); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat before Commit: %v, want ErrNotFound", err)
	}
	if _, files, err := s.List(ctx, "t1", storage.Data, "d"); err != nil || len(files) != 0 {
		t.Errorf("List before Commit = %+v, %v; want nothing (temporary files hidden)", files, err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, k); err != nil {
		t.Errorf("Stat after Commit: %v", err)
	}
	if tmp := temporaries(t, dir); len(tmp) != 0 {
		t.Errorf("left behind: %q", tmp)
	}
	if fi, err := os.Stat(filepath.Join(dir, "t1", "Data", "d", "f.txt")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("stored file: %v, %v; want mode 0640", fi, err)
	}
}

func TestFSSignedURLs(t *testing.T) {
	now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	s, _ := newFS(t, storage.WithClock(func() time.Time { return now }))
	ctx := t.Context()
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "dir/ファイル #1.bin"}
	other := storage.Key{Tenant: "t1", Type: storage.Data, Path: "dir/other.bin"}
	if _, err := s.Put(ctx, k, strings.NewReader("content")); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMultipart(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	otherID, err := s.CreateMultipart(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	aborted, err := s.CreateMultipart(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	mustURL := func(u string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	partURL := mustURL(s.PartURL(ctx, "http://kqi.example", k, id, 1, time.Minute))
	getURL := mustURL(s.GetURL(ctx, "http://kqi.example/", k, "", time.Minute))
	abortedURL := mustURL(s.PartURL(ctx, "http://kqi.example", k, aborted, 1, time.Minute))
	if err := s.AbortMultipart(ctx, k, aborted); err != nil {
		t.Fatal(err)
	}
	withQuery := func(raw, name, value string) string {
		u, _ := url.Parse(raw)
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String()
	}

	t.Run("the URLs have the documented form", func(t *testing.T) {
		wantPart := "http://kqi.example/signed/t1/Data/dir/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB%20%231.bin?uploadId=" + id + "&partNumber=1&expires=1743498060&sig="
		if !strings.HasPrefix(partURL, wantPart) {
			t.Errorf("PartURL = %s\nwant prefix %s", partURL, wantPart)
		}
		wantGet := "http://kqi.example/signed/t1/Data/dir/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB%20%231.bin?expires=1743498060&filename=%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB+%231.bin&sig="
		if !strings.HasPrefix(getURL, wantGet) {
			t.Errorf("GetURL = %s\nwant prefix %s", getURL, wantGet)
		}
	})

	for name, tc := range map[string]struct {
		method, url string
		later       time.Duration
		want        error
	}{
		"a part URL in time is accepted":            {http.MethodPut, partURL, 0, nil},
		"a part URL at its last second is accepted": {http.MethodPut, partURL, time.Minute, nil},
		"a part URL a second after expiry":          {http.MethodPut, partURL, time.Minute + time.Second, storage.ErrExpired},
		"a download URL after expiry":               {http.MethodGet, getURL, 2 * time.Minute, storage.ErrExpired},
		"a part URL with another signature":         {http.MethodPut, withQuery(partURL, "sig", strings.Repeat("0", 64)), 0, storage.ErrSignature},
		"a part URL with garbage for a signature":   {http.MethodPut, withQuery(partURL, "sig", "zz"), 0, storage.ErrSignature},
		"a part URL whose expiry was pushed later":  {http.MethodPut, withQuery(partURL, "expires", "1999999999"), 0, storage.ErrSignature},
		"a part URL for another part number":        {http.MethodPut, withQuery(partURL, "partNumber", "2"), 0, storage.ErrSignature},
		"a part URL with another upload":            {http.MethodPut, withQuery(partURL, "uploadId", otherID), 0, storage.ErrSignature},
		"a part URL moved to another object":        {http.MethodPut, strings.Replace(partURL, "/dir/", "/dir2/", 1), 0, storage.ErrSignature},
		"a part URL moved to another tenant":        {http.MethodPut, strings.Replace(partURL, "/t1/", "/t2/", 1), 0, storage.ErrSignature},
		"a download URL renaming the file":          {http.MethodGet, withQuery(getURL, "filename", "evil.exe"), 0, storage.ErrSignature},
		"a download URL used to upload":             {http.MethodPut, getURL, 0, storage.ErrInvalid},
		"a part URL used to download":               {http.MethodGet, partURL, 0, storage.ErrInvalid},
		"a part URL of an aborted upload":           {http.MethodPut, abortedURL, 0, storage.ErrNotFound},
		"a DELETE":                                  {http.MethodDelete, getURL, 0, storage.ErrInvalid},
		"a path outside /signed/":                   {http.MethodGet, strings.Replace(getURL, "/signed/", "/other/", 1), 0, storage.ErrInvalid},
		"a path naming no object":                   {http.MethodGet, "http://kqi.example/signed/t1/Data", 0, storage.ErrInvalid},
		"a path climbing out of the area":           {http.MethodGet, "http://kqi.example/signed/t1/Data/../../etc/passwd?expires=1&sig=00", 0, storage.ErrInvalid},
		"a part URL changed to part 0":              {http.MethodPut, withQuery(partURL, "partNumber", "0"), 0, storage.ErrSignature},
	} {
		t.Run(name, func(t *testing.T) {
			saved := now
			now = now.Add(tc.later)
			defer func() { now = saved }()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tc.method, tc.url, strings.NewReader("part body"))
			err := s.ServeSigned(rec, req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ServeSigned = %v, want %v", err, tc.want)
			}
			if err != nil && rec.Body.Len() != 0 {
				t.Errorf("ServeSigned wrote %q on error; the caller answers errors", rec.Body.String())
			}
		})
	}

	t.Run("a part URL for an upload of another object", func(t *testing.T) {
		u := mustURL(s.PartURL(ctx, "http://kqi.example", k, otherID, 1, time.Minute))
		err := s.ServeSigned(httptest.NewRecorder(), httptest.NewRequest(http.MethodPut, u, strings.NewReader("x")))
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("ServeSigned = %v, want ErrNotFound", err)
		}
	})

	t.Run("a download answers with the file's headers, HEAD included", func(t *testing.T) {
		u := mustURL(s.GetURL(ctx, "http://kqi.example", k, "résumé \"final\".pdf", time.Minute))
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			rec := httptest.NewRecorder()
			if err := s.ServeSigned(rec, httptest.NewRequest(method, u, nil)); err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			h := rec.Result().Header
			want := map[string]string{
				"Content-Disposition": `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
				"Content-Type":        "application/pdf",
				"Content-Length":      "7",
				"Accept-Ranges":       "bytes",
			}
			for name, v := range want {
				if got := h.Get(name); got != v {
					t.Errorf("%s: %s = %q, want %q", method, name, got, v)
				}
			}
			wantBody := "content"
			if method == http.MethodHead {
				wantBody = ""
			}
			if rec.Body.String() != wantBody {
				t.Errorf("%s: body %q, want %q", method, rec.Body.String(), wantBody)
			}
		}
	})
}

func TestFSStaysInsideItsRoot(t *testing.T) {
	s, dir := newFS(t)
	ctx := t.Context()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "t1", "Data"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "t1", "Data", "link")); err != nil {
		t.Fatal(err)
	}
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "link/secret.txt"}
	if rc, _, err := s.Open(ctx, k, 0, -1); err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		t.Errorf("Open through a link out of the root read %q; want an error", b)
	}
	if _, err := s.Put(ctx, storage.Key{Tenant: "t1", Type: storage.Data, Path: "link/new.txt"}, strings.NewReader("x")); err == nil {
		t.Error("Put through a link out of the root succeeded; want an error")
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); err == nil {
		t.Error("Put through a link wrote outside the root")
	}
	if dirs, _, err := s.List(ctx, "t1", storage.Data, ""); err != nil || len(dirs) != 0 {
		t.Errorf("List shows %q, %v; want the link out of the root hidden", dirs, err)
	}
	if err := s.EnsureTenant(ctx, ".kqi-uploads"); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("EnsureTenant(.kqi-uploads) = %v, want ErrInvalid", err)
	}
}

func TestFSCleanupFollowsTheClock(t *testing.T) {
	start := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	now := start
	s, _ := newFS(t, storage.WithClock(func() time.Time { return now }))
	ctx := t.Context()
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "f.bin"}
	if _, err := s.CreateMultipart(ctx, k); err != nil {
		t.Fatal(err)
	}
	now = start.Add(time.Hour)
	if _, err := s.CreateMultipart(ctx, k); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		cutoff time.Time
		want   int
	}{
		{"a cutoff at the first start removes nothing", start, 0},
		{"a cutoff just after it removes the first", start.Add(time.Second), 1},
		{"a cutoff after both removes the second", start.Add(2 * time.Hour), 1},
		{"then nothing is left", start.Add(3 * time.Hour), 0},
	} {
		n, err := s.CleanupMultipart(ctx, tc.cutoff)
		if err != nil || n != tc.want {
			t.Errorf("%s: CleanupMultipart = %d, %v; want %d", tc.name, n, err, tc.want)
		}
	}
}

package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDataBadInput: every refusal is a clear 4xx with the error body, and
// nothing is stored or registered.
func TestDataBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		d := admin.createData(t, dataIn{Name: "target"})
		filesPath := fmt.Sprintf("/api/v2/data/%d/files", d.ID)
		up := admin.stream(t, "ok.txt", []byte("fine"))
		admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "ok.txt", StoredPath: up.StoredPath}}}).
			want(t, http.StatusCreated)
		dataBefore := len(admin.dataList(t))

		t.Run("file names that escape or are malformed are refused", func(t *testing.T) {
			for name, fileName := range map[string]string{
				"parent":       "../etc/passwd",
				"inner parent": "a/../../b",
				"absolute":     "/etc/passwd",
				"backslash":    `a\b.txt`,
				"NUL":          "a\x00b",
				"empty part":   "a//b",
				"dot":          "./a",
				"empty":        "",
			} {
				t.Run(name, func(t *testing.T) {
					u := admin.stream(t, "x.txt", []byte("x"))
					admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: fileName, StoredPath: u.StoredPath}}}).
						wantProblem(t, http.StatusBadRequest)
				})
			}
		})
		t.Run("a stored path that is not an upload's is refused", func(t *testing.T) {
			for _, sp := range []string{"../sandbox/Data/x", "Data/x.txt", "/abs", "no-such-upload.txt"} {
				r := admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "n.txt", StoredPath: sp}}})
				if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound {
					t.Errorf("storedPath %q: status %d, want 400 or 404: %s", sp, r.Status, r.Body)
				}
			}
		})
		t.Run("duplicate names conflict, within a request and with the data's files", func(t *testing.T) {
			u1, u2 := admin.stream(t, "a.txt", []byte("1")), admin.stream(t, "a.txt", []byte("2"))
			admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "a.txt", StoredPath: u1.StoredPath}, {FileName: "a.txt", StoredPath: u2.StoredPath}}}).
				wantProblem(t, http.StatusConflict)
			admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "ok.txt", StoredPath: u1.StoredPath}}}).
				wantProblem(t, http.StatusConflict)
			admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "ok.txt/inner", StoredPath: u1.StoredPath}}}).
				wantProblem(t, http.StatusConflict)
		})
		t.Run("an upload registers once", func(t *testing.T) {
			admin.Do(t, "POST", filesPath, addFilesIn{Files: []addFile{{FileName: "again.txt", StoredPath: up.StoredPath}}}).
				wantProblem(t, http.StatusConflict)
		})
		t.Run("more than 10,000 files are refused", func(t *testing.T) {
			many := make([]addFile, 10001)
			for i := range many {
				many[i] = addFile{FileName: fmt.Sprintf("f%d", i), StoredPath: up.StoredPath}
			}
			admin.Do(t, "POST", filesPath, addFilesIn{Files: many}).wantProblem(t, http.StatusBadRequest)
		})
		t.Run("empty files are refused", func(t *testing.T) {
			admin.Do(t, "POST", "/api/v2/upload/stream?type=Data&fileName=e.txt", rawBody{contentType: "application/octet-stream"}).
				wantProblem(t, http.StatusBadRequest)
			admin.Do(t, "GET", "/api/v2/upload/parameter?fileName=e.txt&partSum=0&type=Data", nil).wantProblem(t, http.StatusBadRequest)
		})
		t.Run("upload types are checked", func(t *testing.T) {
			for _, typ := range []string{"Bogus", "TrainingContainerOutputFiles", ""} {
				admin.Do(t, "GET", "/api/v2/upload/parameter?fileName=x.txt&partSum=1&type="+typ, nil).wantProblem(t, http.StatusBadRequest)
			}
		})
		t.Run("bad archives store nothing", func(t *testing.T) {
			good := tarEntry{name: "good.txt", data: []byte("good")}
			full := makeTar(t, good, tarEntry{name: "more.txt", data: bytes.Repeat([]byte("m"), 4096)})
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, _ = zw.Write(makeTar(t, good, tarEntry{name: "../evil.txt", data: []byte("x")}))
			_ = zw.Close()
			for name, tc := range map[string]struct {
				body []byte
				want int
			}{
				"parent path":   {makeTar(t, good, tarEntry{name: "../evil.txt", data: []byte("x")}), http.StatusBadRequest},
				"gzip, parent":  {gz.Bytes(), http.StatusBadRequest},
				"absolute path": {makeTar(t, good, tarEntry{name: "/etc/evil", data: []byte("x")}), http.StatusBadRequest},
				"symlink":       {makeTar(t, good, tarEntry{name: "link", typ: '2', link: "/etc/passwd"}), http.StatusBadRequest},
				"duplicate":     {makeTar(t, good, good), http.StatusConflict},
				"empty file":    {makeTar(t, good, tarEntry{name: "empty.txt"}), http.StatusBadRequest},
				"truncated":     {full[:len(full)-3000], http.StatusBadRequest},
				"not a tar":     {[]byte(strings.Repeat("not a tar archive ", 64)), http.StatusBadRequest},
				"no files":      {makeTar(t, tarEntry{name: "dir/", typ: '5'}), http.StatusBadRequest},
			} {
				t.Run(name, func(t *testing.T) {
					admin.Do(t, "POST", "/api/v2/data/archive?name=bad", rawBody{contentType: "application/x-tar", data: tc.body}).
						wantProblem(t, tc.want)
					admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/archive", d.ID), rawBody{contentType: "application/x-tar", data: tc.body}).
						wantProblem(t, tc.want)
				})
			}
			if fs := admin.files(t, d.ID); len(fs) != 1 {
				t.Errorf("data %d has %d files after refused archives, want its one", d.ID, len(fs))
			}
			if n := len(admin.dataList(t)); n != dataBefore {
				t.Errorf("%d data after refused archives, want %d", n, dataBefore)
			}
		})
		t.Run("wrong parts and ETags do not complete an upload", func(t *testing.T) {
			part1, part2 := randomBytes(t, 5<<20), []byte("tail")
			var mp multipartOut
			admin.Do(t, "GET", "/api/v2/upload/parameter?fileName=p.bin&partSum=2&type=Data", nil).want(t, http.StatusOK).decode(t, &mp)
			etags := e.putParts(t, mp, part1, part2)
			etag1, etag2 := strings.SplitN(etags[0], "+", 2)[1], strings.SplitN(etags[1], "+", 2)[1]
			for name, parts := range map[string][]string{
				"wrong etag":    {"1+" + etag1, "2+0123456789abcdef0123456789abcdef"},
				"missing part":  {"2+" + etag2},
				"out of order":  {"2+" + etag2, "1+" + etag1},
				"not n+etag":    {etag1, etag2},
				"no parts":      {},
				"part 3 of two": {"1+" + etag1, "2+" + etag2, "3+" + etag2},
			} {
				r := admin.Do(t, "POST", "/api/v2/upload/complete", completeIn{Key: mp.Key, UploadID: mp.UploadID, PartETags: parts})
				if r.Status != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 400: %s", name, r.Status, r.Body)
				}
			}
			admin.Do(t, "POST", "/api/v2/upload/complete", completeIn{Key: mp.Key, UploadID: "no-such-upload", PartETags: etags}).
				wantProblem(t, http.StatusNotFound)
			admin.Do(t, "POST", "/api/v2/upload/complete", completeIn{Key: "Data/../../x", UploadID: mp.UploadID, PartETags: etags}).
				wantProblem(t, http.StatusBadRequest)
			// The right list still completes it: refusals changed nothing.
			admin.Do(t, "POST", "/api/v2/upload/complete", completeIn{Key: mp.Key, UploadID: mp.UploadID, PartETags: etags}).want(t, http.StatusOK)
		})
		t.Run("a signed URL works for its own key only", func(t *testing.T) {
			f := admin.files(t, d.ID)[0]
			other := strings.Replace(f.URL, up.StoredPath, "other.txt", 1)
			if status, body := e.fetch(t, other); status != http.StatusForbidden {
				t.Errorf("URL moved to another key: status %d, want 403: %s", status, body)
			}
			if e.storage == "dir" {
				e.clock.Advance(25 * time.Hour)
				defer e.clock.Advance(-25 * time.Hour)
				if status, body := e.fetch(t, f.URL); status != http.StatusForbidden || !strings.Contains(string(body), "expired") {
					t.Errorf("expired URL: status %d, want 403 saying it expired: %s", status, body)
				}
			}
		})
		t.Run("another tenant sees none of it", func(t *testing.T) {
			team := e.createTenant(t, admin, makeTenant("team-x"))
			bob := e.createUser(t, admin, makeUser("bob").defaultIn(team.ID, roleResearchers))
			bobc := e.login(t, bob.Name, passwordOf(bob.Name))
			bobc.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d", d.ID), nil).wantProblem(t, http.StatusNotFound)
			bobc.Do(t, "GET", filesPath, nil).wantProblem(t, http.StatusNotFound)
			bobc.Do(t, "DELETE", fmt.Sprintf("/api/v2/data/%d", d.ID), nil).wantProblem(t, http.StatusNotFound)
			mine := bobc.createData(t, dataIn{Name: "bobs"})
			bobc.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", mine.ID), addFilesIn{Files: []addFile{{FileName: "stolen", StoredPath: up.StoredPath}}}).
				wantProblem(t, http.StatusNotFound)
			bobc.Do(t, "GET", "/api/v2/download/url?type=Data&storedPath="+up.StoredPath, nil).wantProblem(t, http.StatusNotFound)
			if n := len(bobc.dataList(t)); n != 1 {
				t.Errorf("bob lists %d data, want only his own", n)
			}
		})
		t.Run("dataset entries are checked", func(t *testing.T) {
			other := admin.createData(t, dataIn{Name: "other"})
			for name, tc := range map[string]struct {
				in   datasetIn
				want int
			}{
				"a data twice":               {datasetIn{Name: "x", Entries: map[string][]entry{"training": {{ID: d.ID}}, "testing": {{ID: d.ID}}}}, http.StatusBadRequest},
				"an unknown type":            {datasetIn{Name: "x", Entries: map[string][]entry{"train": {{ID: d.ID}}}}, http.StatusBadRequest},
				"a missing data":             {datasetIn{Name: "x", Entries: map[string][]entry{"training": {{ID: 9999}}}}, http.StatusNotFound},
				"flat with typed entries":    {datasetIn{Name: "x", IsFlat: true, Entries: map[string][]entry{"training": {{ID: d.ID}}}}, http.StatusBadRequest},
				"typed with flat entries":    {datasetIn{Name: "x", Entries: map[string][]entry{}, FlatEntries: []entry{{ID: d.ID}}}, http.StatusBadRequest},
				"a blank name":               {datasetIn{Name: " ", Entries: map[string][]entry{"training": {{ID: d.ID}}}}, http.StatusBadRequest},
				"no entries for a typed one": {datasetIn{Name: "x"}, http.StatusBadRequest},
			} {
				t.Run(name, func(t *testing.T) {
					admin.Do(t, "POST", "/api/v2/datasets", tc.in).wantProblem(t, tc.want)
				})
			}
			var ok datasetView
			admin.Do(t, "POST", "/api/v2/datasets", datasetIn{Name: "fine", IsFlat: true, FlatEntries: []entry{{ID: d.ID}, {ID: other.ID}}}).
				want(t, http.StatusCreated).decode(t, &ok)
			admin.Do(t, "PUT", fmt.Sprintf("/api/v2/datasets/%d", ok.ID), datasetIn{FlatEntries: []entry{{ID: other.ID}, {ID: other.ID}}}).
				wantProblem(t, http.StatusBadRequest)
		})
		t.Run("tags follow the original's syntax", func(t *testing.T) {
			for _, tag := range []string{"a,b", "!neg", "=eq", "<lt", ">gt", " "} {
				admin.Do(t, "POST", "/api/v2/data", dataIn{Name: "t", Tags: []string{tag}}).wantProblem(t, http.StatusBadRequest)
			}
			admin.Do(t, "POST", "/api/v2/data", dataIn{Name: "  "}).wantProblem(t, http.StatusBadRequest)
		})
	})
}

// TestUploadLimit: a body over upload-max-bytes is refused with 413 and
// leaves nothing.
func TestUploadLimit(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", "dir", func(c *configT) { c.UploadMaxBytes = 4096 })
	admin := e.admin(t)
	admin.Do(t, "POST", "/api/v2/upload/stream?type=Data&fileName=big.bin",
		rawBody{contentType: "application/octet-stream", data: randomBytes(t, 10000)}).wantProblem(t, http.StatusRequestEntityTooLarge)
	admin.Do(t, "POST", "/api/v2/data/archive?name=big",
		rawBody{contentType: "application/x-tar", data: makeTar(t, tarEntry{name: "a", data: randomBytes(t, 10000)})}).
		wantProblem(t, http.StatusRequestEntityTooLarge)
	if n := len(admin.dataList(t)); n != 0 {
		t.Errorf("%d data after refused uploads, want none", n)
	}
}

// TestAbandonedUploadsAreRemoved: uploads never registered and multipart
// uploads never completed are removed once older than the URL lifetime.
func TestAbandonedUploadsAreRemoved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		orphan := admin.stream(t, "orphan.txt", []byte("nobody registers me"))
		kept := admin.stream(t, "kept.txt", []byte("registered"))
		d := admin.createData(t, dataIn{Name: "d"})
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), addFilesIn{Files: []addFile{{FileName: "kept.txt", StoredPath: kept.StoredPath}}}).
			want(t, http.StatusCreated)
		ctx := context.Background()
		if n, err := e.app.Data.Cleanup(ctx, e.app.Storages.All(ctx)); err != nil || n != 0 {
			t.Fatalf("clean-up of fresh uploads removed %d (%v), want 0", n, err)
		}
		e.clock.Advance(26 * time.Hour)
		if n, err := e.app.Data.Cleanup(ctx, e.app.Storages.All(ctx)); err != nil || n < 1 {
			t.Fatalf("clean-up after 26 h removed %d (%v), want the orphan", n, err)
		}
		admin.Do(t, "GET", "/api/v2/download/url?type=Data&storedPath="+orphan.StoredPath, nil).wantProblem(t, http.StatusNotFound)
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), addFilesIn{Files: []addFile{{FileName: "late.txt", StoredPath: orphan.StoredPath}}}).
			wantProblem(t, http.StatusNotFound)
		admin.Do(t, "GET", "/api/v2/download/url?type=Data&storedPath="+kept.StoredPath, nil).want(t, http.StatusOK)
	})
}

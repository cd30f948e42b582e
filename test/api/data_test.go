package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDataScript is the "Done when": data with files uploaded by
// every protocol (streamed, multipart through signed URLs, tar archive),
// listed and downloaded with matching bytes and SHA-256, a dataset built
// from several data with its path pairs, and a locked dataset refusing
// edits with 409. It runs on every database engine and storage backend.
func TestDataScript(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		cats := admin.createData(t, dataIn{Name: "cats", Memo: "from the shelter", Tags: []string{"animals", "2026"}})
		if cats.DisplayID != 1 || cats.Name != "cats" || join(cats.Tags) != "2026,animals" {
			t.Errorf("created data = %+v, want display id 1, name cats, tags 2026,animals", cats)
		}

		want := map[string][]byte{} // file name -> content, over both data
		// One file streamed in one request.
		small := randomBytes(t, 300_000)
		up := admin.stream(t, "tom.jpg", small)
		if up.Size != int64(len(small)) || up.SHA256 != sha(small) {
			t.Errorf("streamed upload = %+v, want size %d and sha256 %s", up, len(small), sha(small))
		}
		// One file in two parts through signed URLs (S3 wants parts of 5 MiB
		// but the last).
		part1, part2 := randomBytes(t, 5<<20), randomBytes(t, 1234)
		var mp multipartOut
		admin.Do(t, "GET", "/api/v2/upload/parameter?fileName=big.bin&partSum=2&type=Data", nil).
			want(t, http.StatusOK).decode(t, &mp)
		etags := e.putParts(t, mp, part1, part2)
		var done struct {
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		}
		admin.Do(t, "POST", "/api/v2/upload/complete", completeIn{Key: mp.Key, UploadID: mp.UploadID, PartETags: etags}).
			want(t, http.StatusOK).decode(t, &done)
		big := append(slices.Clone(part1), part2...)
		if done.Size != int64(len(big)) || done.SHA256 != sha(big) {
			t.Errorf("completed upload: size %d sha256 %s, want %d %s", done.Size, done.SHA256, len(big), sha(big))
		}
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", cats.ID), addFilesIn{Files: []addFile{
			{FileName: "tom.jpg", StoredPath: up.StoredPath}, {FileName: "raw/big.bin", StoredPath: mp.StoredPath}}}).
			want(t, http.StatusCreated)
		want["tom.jpg"], want["raw/big.bin"] = small, big

		// A second data made from a tar archive in one request.
		a, b, c := randomBytes(t, 1024), randomBytes(t, 2048), randomBytes(t, 10)
		var dogs filesView
		admin.Do(t, "POST", "/api/v2/data/archive?name=dogs&tag=animals", rawBody{contentType: "application/x-tar",
			data: makeTar(t, tarEntry{name: "./", typ: '5'}, tarEntry{name: "./rex.txt", data: a},
				tarEntry{name: "train/", typ: '5'}, tarEntry{name: "train/a.txt", data: b}, tarEntry{name: "train/b.txt", data: c})}).
			want(t, http.StatusCreated).decode(t, &dogs)
		if diff := cmp.Diff([]string{"rex.txt", "train/a.txt", "train/b.txt"}, fileNames(dogs.Files)); diff != "" {
			t.Errorf("archive files (-want +got):\n%s", diff)
		}
		dogsContent := map[string][]byte{"rex.txt": a, "train/a.txt": b, "train/b.txt": c}

		// Every file downloads with its bytes, and its SHA-256 is the one recorded.
		for id, content := range map[int64]map[string][]byte{cats.ID: want, dogs.ID: dogsContent} {
			files := admin.files(t, id)
			if len(files) != len(content) {
				t.Fatalf("data %d has %d files, want %d", id, len(files), len(content))
			}
			for _, f := range files {
				status, body := e.fetch(t, f.URL)
				wantBody := content[f.FileName]
				if status != http.StatusOK || !bytes.Equal(body, wantBody) {
					t.Errorf("download %s: status %d, %d bytes; want 200 and its %d bytes", f.FileName, status, len(body), len(wantBody))
				}
				if f.SHA256 != sha(wantBody) || f.FileSize != int64(len(wantBody)) {
					t.Errorf("%s: recorded size %d sha256 %s, want %d %s", f.FileName, f.FileSize, f.SHA256, len(wantBody), sha(wantBody))
				}
			}
		}
		// Downloads honour Range.
		var one fileView
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files/tom.jpg", cats.ID), nil).want(t, http.StatusOK).decode(t, &one)
		if status, body := e.fetch(t, one.URL, "Range", "bytes=100-199"); status != http.StatusPartialContent || !bytes.Equal(body, small[100:200]) {
			t.Errorf("range download: status %d, %d bytes; want 206 and bytes 100-199", status, len(body))
		}

		// A dataset from both data, and where its files go under /kqi/input.
		var ds datasetView
		admin.Do(t, "POST", "/api/v2/datasets", datasetIn{Name: "pets", Entries: map[string][]entry{
			"training": {{ID: cats.ID}}, "testing": {{ID: dogs.ID}}}}).want(t, http.StatusCreated).decode(t, &ds)
		var pairs []pathPair
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/datasets/%d/pathpairs", ds.ID), nil).want(t, http.StatusOK).decode(t, &pairs)
		var paths []string
		for _, p := range pairs {
			paths = append(paths, p.DataPath)
			if p.StoredPath == "" {
				t.Errorf("path pair %s has no stored path", p.DataPath)
			}
		}
		wantPaths := []string{
			fmt.Sprintf("training/%d/raw/big.bin", cats.ID), fmt.Sprintf("training/%d/tom.jpg", cats.ID),
			fmt.Sprintf("testing/%d/rex.txt", dogs.ID), fmt.Sprintf("testing/%d/train/a.txt", dogs.ID),
			fmt.Sprintf("testing/%d/train/b.txt", dogs.ID)}
		if diff := cmp.Diff(wantPaths, paths); diff != "" {
			t.Errorf("path pairs (-want +got):\n%s", diff)
		}
		// Every file of the dataset downloads from its signed URL.
		var dsFiles struct {
			Entries []struct {
				Type  string     `json:"type"`
				Files []fileView `json:"files"`
			} `json:"entries"`
		}
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/datasets/%d/files?withUrl=true", ds.ID), nil).want(t, http.StatusOK).decode(t, &dsFiles)
		all := map[string][]byte{}
		for n, b := range want {
			all[n] = b
		}
		for n, b := range dogsContent {
			all[n] = b
		}
		listed := 0
		for _, en := range dsFiles.Entries {
			for _, f := range en.Files {
				listed++
				if status, body := e.fetch(t, f.URL); status != http.StatusOK || !bytes.Equal(body, all[f.FileName]) {
					t.Errorf("dataset %s file %s: status %d, %d bytes; want its %d bytes", en.Type, f.FileName, status, len(body), len(all[f.FileName]))
				}
			}
		}
		if listed != len(wantPaths) {
			t.Errorf("dataset files list %d files, want %d", listed, len(wantPaths))
		}

		// Once a training uses it (the jobs issue locks it), edits are refused.
		if err := e.app.DB.Q().LockDataset(context.Background(), sandboxID, ds.ID); err != nil {
			t.Fatal(err)
		}
		var got datasetView
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/datasets/%d", ds.ID), nil).want(t, http.StatusOK).decode(t, &got)
		if !got.IsLocked || len(got.Entries["training"]) != 1 || len(got.Entries["testing"]) != 1 {
			t.Errorf("locked dataset = %+v, want isLocked with one training and one testing data", got)
		}
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/datasets/%d", ds.ID), datasetIn{Entries: map[string][]entry{"training": {{ID: dogs.ID}}}}).
			wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/datasets/%d", ds.ID), nil).wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/data/%d", cats.ID), nil).wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/data/%d/files/%d", cats.ID, one.FileID), nil).wantProblem(t, http.StatusConflict)
		admin.Do(t, "PATCH", fmt.Sprintf("/api/v2/datasets/%d", ds.ID), map[string]string{"name": "pets v1"}).want(t, http.StatusOK)
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/data/%d", cats.ID), map[string]any{"memo": "still editable"}).want(t, http.StatusOK)

		// Data outside any locked dataset can go, and its files with it.
		spare := admin.createData(t, dataIn{Name: "spare"})
		sp := admin.stream(t, "s.txt", []byte("spare bytes"))
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", spare.ID), addFilesIn{Files: []addFile{{FileName: "s.txt", StoredPath: sp.StoredPath}}}).
			want(t, http.StatusCreated)
		spareURL := admin.files(t, spare.ID)[0].URL
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/data/%d", spare.ID), nil).want(t, http.StatusNoContent)
		if status, _ := e.fetch(t, spareURL); status == http.StatusOK {
			t.Errorf("the file of a deleted data still downloads")
		}
	})
}

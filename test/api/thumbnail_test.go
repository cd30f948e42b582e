package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"testing"
)

// TestThumbnail: image files get a JPEG preview no larger than asked;
// other files are refused.
func TestThumbnail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		src := image.NewRGBA(image.Rect(0, 0, 640, 320))
		for x := range 640 {
			for y := range 320 {
				src.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
			}
		}
		var pngBytes bytes.Buffer
		if err := png.Encode(&pngBytes, src); err != nil {
			t.Fatal(err)
		}
		d := admin.createData(t, dataIn{Name: "images"})
		img, txt := admin.stream(t, "wide.png", pngBytes.Bytes()), admin.stream(t, "notes.txt", []byte("not an image"))
		var fs filesView
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), addFilesIn{Files: []addFile{
			{FileName: "wide.png", StoredPath: img.StoredPath}, {FileName: "notes.txt", StoredPath: txt.StoredPath}}}).
			want(t, http.StatusCreated).decode(t, &fs)
		ids := map[string]int64{}
		for _, f := range fs.Files {
			ids[f.FileName] = f.FileID
		}

		r := admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files/%d/thumbnail?size=128", d.ID, ids["wide.png"]), nil).want(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("thumbnail Content-Type %q, want image/jpeg", ct)
		}
		thumb, err := jpeg.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatalf("thumbnail is not a JPEG: %v", err)
		}
		if b := thumb.Bounds(); b.Dx() != 128 || b.Dy() != 64 {
			t.Errorf("thumbnail is %dx%d, want 128x64 (the image's 2:1 shape)", b.Dx(), b.Dy())
		}
		// Asked again with its ETag, the browser keeps its copy.
		req, _ := http.NewRequest("GET", e.url+fmt.Sprintf("/api/v2/data/%d/files/%d/thumbnail?size=128", d.ID, ids["wide.png"]), nil)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		req.Header.Set("If-None-Match", r.Header.Get("ETag"))
		if res := e.sendUnchecked(t, req); res.Status != http.StatusNotModified {
			t.Errorf("thumbnail with its ETag: status %d, want 304", res.Status)
		}

		admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files/%d/thumbnail", d.ID, ids["notes.txt"]), nil).
			wantProblem(t, http.StatusBadRequest)
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files/%d/thumbnail?size=5000", d.ID, ids["wide.png"]), nil).
			wantProblem(t, http.StatusBadRequest)
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files/999/thumbnail", d.ID), nil).wantProblem(t, http.StatusNotFound)
	})
}

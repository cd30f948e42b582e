package api_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Shapes of the data, dataset and storage answers, as a client sees them.

type dataIn struct {
	Name string   `json:"name"`
	Memo string   `json:"memo,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

type dataView struct {
	ID        int64    `json:"id"`
	DisplayID int64    `json:"displayId"`
	Name      string   `json:"name"`
	Memo      string   `json:"memo"`
	Tags      []string `json:"tags"`
	FileNames []string `json:"fileNames"`
}

type fileView struct {
	FileID   int64  `json:"fileId"`
	FileName string `json:"fileName"`
	FileSize int64  `json:"fileSize"`
	SHA256   string `json:"sha256"`
	URL      string `json:"url"`
}

type filesView struct {
	ID    int64      `json:"id"`
	Files []fileView `json:"files"`
}

type addFile struct {
	FileName   string `json:"fileName"`
	StoredPath string `json:"storedPath"`
}

type addFilesIn struct {
	Files []addFile `json:"files"`
}

type uploaded struct {
	Key        string `json:"key"`
	StoredPath string `json:"storedPath"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

type multipartOut struct {
	URIs       []string `json:"uris"`
	UploadID   string   `json:"uploadId"`
	Key        string   `json:"key"`
	StoredPath string   `json:"storedPath"`
}

type completeIn struct {
	Key       string   `json:"key"`
	UploadID  string   `json:"uploadId"`
	PartETags []string `json:"partETags"`
}

type entry struct {
	ID int64 `json:"id"`
}

type datasetIn struct {
	Name        string             `json:"name"`
	Memo        string             `json:"memo,omitempty"`
	IsFlat      bool               `json:"isFlat,omitempty"`
	Entries     map[string][]entry `json:"entries"`
	FlatEntries []entry            `json:"flatEntries,omitempty"`
}

type datasetView struct {
	ID          int64                 `json:"id"`
	Name        string                `json:"name"`
	Memo        string                `json:"memo"`
	IsFlat      bool                  `json:"isFlat"`
	IsLocked    bool                  `json:"isLocked"`
	Entries     map[string][]dataView `json:"entries"`
	FlatEntries []dataView            `json:"flatEntries"`
}

type pathPair struct {
	DataPath   string `json:"dataPath"`
	StoredPath string `json:"storedPath"`
}

// randomBytes returns n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tarEntry is one entry of a test archive; typ 0 is a regular file.
type tarEntry struct {
	name string
	data []byte
	typ  byte
	link string
}

func makeTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: typ, Linkname: e.link}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (c *client) createData(t *testing.T, in dataIn) dataView {
	t.Helper()
	var v dataView
	c.Do(t, "POST", "/api/v2/data", in).want(t, http.StatusCreated).decode(t, &v)
	return v
}

// stream uploads b with POST /upload/stream.
func (c *client) stream(t *testing.T, fileName string, b []byte) uploaded {
	t.Helper()
	var u uploaded
	c.Do(t, "POST", "/api/v2/upload/stream?type=Data&fileName="+url.QueryEscape(fileName),
		rawBody{contentType: "application/octet-stream", data: b}).want(t, http.StatusCreated).decode(t, &u)
	return u
}

// putParts uploads parts to the signed URLs of a multipart upload and
// returns the "<n>+<etag>" list for completion.
func (e *env) putParts(t *testing.T, mp multipartOut, parts ...[]byte) []string {
	t.Helper()
	if len(mp.URIs) != len(parts) {
		t.Fatalf("%d URLs for %d parts", len(mp.URIs), len(parts))
	}
	var etags []string
	for i, p := range parts {
		req, err := http.NewRequest("PUT", mp.URIs[i], bytes.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		res := e.sendUnchecked(t, req)
		if res.Status != http.StatusOK {
			t.Fatalf("PUT part %d: status %d: %s", i+1, res.Status, res.Body)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("PUT part %d: no ETag", i+1)
		}
		etags = append(etags, fmt.Sprintf("%d+%s", i+1, etag))
	}
	return etags
}

// fetch GETs a signed URL (no token) and returns status and body.
func (e *env) fetch(t *testing.T, u string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func (c *client) files(t *testing.T, dataID int64) []fileView {
	t.Helper()
	var fs []fileView
	c.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d/files?withUrl=true", dataID), nil).want(t, http.StatusOK).decode(t, &fs)
	return fs
}

func (c *client) dataList(t *testing.T) []dataView {
	t.Helper()
	var ds []dataView
	c.Do(t, "GET", "/api/v2/data", nil).want(t, http.StatusOK).decode(t, &ds)
	return ds
}

func fileNames(fs []fileView) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.FileName)
	}
	return out
}

func join(ss []string) string { return strings.Join(ss, ",") }

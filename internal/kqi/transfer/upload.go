package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// API is what uploads need of the server's API (client.Client).
type API interface {
	Do(ctx context.Context, method, path string, query url.Values, in, out any) error
	Send(ctx context.Context, method, path string, query url.Values, contentType string, body io.Reader, size int64, out any) error
}

// Defaults of an Uploader: the original's 16 MiB parts, and S3's limit of
// parts in one upload.
const (
	DefaultPartSize = 16 << 20
	maxParts        = 10000
)

// Uploader stores local files through the server's upload API: a file up
// to PartSize in one streamed request, a larger one in parts PUT to
// signed URLs, Parallel requests at a time. Nothing is registered here:
// the caller registers the returned stored paths once all are uploaded.
type Uploader struct {
	API      API
	HTTP     *http.Client // for the signed part URLs
	Server   string       // names the journal
	Type     string       // Data, TrainingHistoryAttachedFiles or InferenceHistoryAttachedFiles
	Parallel int
	PartSize int64
	StateDir string    // where journals live; "" uploads without resume
	Progress io.Writer // the bar's terminal; nil draws none
}

// Stored is an uploaded file, ready to be registered.
type Stored struct {
	FileName   string `json:"fileName"`
	StoredPath string `json:"storedPath"`
}

// Batch is the outcome of Upload.
type Batch struct {
	Files   []Stored
	Resumed int // files found done by an earlier run
	Stats   Stats
	j       *journal
}

// Forget removes the batch's journal: call it once the files are
// registered, so that the same command later uploads them again.
func (b *Batch) Forget() { b.j.remove() }

// Incomplete is an upload that stopped before every file was stored.
type Incomplete struct {
	Done, Total int
	Err         error
}

func (e *Incomplete) Error() string {
	return fmt.Sprintf("%v (%d of %d files uploaded; nothing was registered: run the same command again to resume)",
		e.Err, e.Done, e.Total)
}

func (e *Incomplete) Unwrap() error { return e.Err }

// Split parts files into those small enough to travel in one tar stream
// and those better sent in resumable parts.
func (u *Uploader) Split(files []File) (small, large []File) {
	for _, f := range files {
		if f.Size <= u.partSize() {
			small = append(small, f)
		} else {
			large = append(large, f)
		}
	}
	return small, large
}

// Upload stores files and returns their stored paths in the same order.
func (u *Uploader) Upload(ctx context.Context, files []File) (*Batch, error) {
	j, err := openJournal(u.StateDir, u.Server, u.Type, files, time.Now())
	if err != nil {
		return nil, err
	}
	var total int64
	var small, large []File
	b := &Batch{j: j}
	for _, f := range files {
		if _, ok := j.storedPath(f.Name); ok {
			b.Resumed++
			continue
		}
		total += f.Size
		if f.Size <= u.partSize() {
			small = append(small, f)
		} else {
			large = append(large, f)
		}
	}
	m := newMeter(ctx, u.Progress, "upload", total, len(small)+len(large))
	err = forEach(ctx, u.Parallel, small, func(ctx context.Context, f File) error { return u.stream(ctx, j, m, f) })
	for _, f := range large {
		if err != nil {
			break
		}
		err = u.multipart(ctx, j, m, f)
	}
	b.Stats = m.stop(err == nil)
	if err != nil {
		j.close()
		return nil, &Incomplete{Done: b.Resumed + b.Stats.Files, Total: len(files), Err: err}
	}
	for _, f := range files {
		p, _ := j.storedPath(f.Name)
		b.Files = append(b.Files, Stored{FileName: f.Name, StoredPath: p})
	}
	return b, nil
}

func (u *Uploader) partSize() int64 {
	if u.PartSize > 0 {
		return u.PartSize
	}
	return DefaultPartSize
}

// stream sends a whole file in one POST /upload/stream.
func (u *Uploader) stream(ctx context.Context, j *journal, m *meter, f File) error {
	var out struct {
		StoredPath string `json:"storedPath"`
	}
	err := retry(ctx, func() error {
		body, err := openSection(f, 0, f.Size)
		if err != nil {
			return err
		}
		defer body.Close()
		cr := &countingReader{r: body, m: m}
		q := url.Values{"type": {u.Type}, "fileName": {path.Base(f.Name)}}
		if err := u.API.Send(ctx, http.MethodPost, "/upload/stream", q, "application/octet-stream", cr, f.Size, &out); err != nil {
			cr.undo()
			if body.err != nil {
				return body.err
			}
			var ne net.Error
			if errors.As(err, &ne) {
				err = transient{err}
			}
			return fmt.Errorf("upload %s: %w", f.Path, err)
		}
		return body.err
	})
	if err != nil {
		return err
	}
	j.fileStored(f.Name, out.StoredPath)
	m.fileDone()
	return nil
}

// multipart sends a large file in parts, continuing an upload the journal
// knows, and completes it.
func (u *Uploader) multipart(ctx context.Context, j *journal, m *meter, f File) error {
	mp := j.multipart(f.Name)
	if mp == nil {
		ps := u.partSize()
		if n := (f.Size + ps - 1) / ps; n > maxParts {
			ps = ((f.Size+maxParts-1)/maxParts + 1<<20 - 1) &^ (1<<20 - 1)
		}
		var out struct {
			UploadID   string   `json:"uploadId"`
			Key        string   `json:"key"`
			StoredPath string   `json:"storedPath"`
			URIs       []string `json:"uris"`
		}
		q := url.Values{"type": {u.Type}, "fileName": {path.Base(f.Name)},
			"partSum": {strconv.FormatInt((f.Size+ps-1)/ps, 10)}}
		if err := u.API.Do(ctx, http.MethodGet, "/upload/parameter", q, nil, &out); err != nil {
			return fmt.Errorf("start the upload of %s: %w", f.Path, err)
		}
		mp = &multipart{UploadID: out.UploadID, Key: out.Key, StoredPath: out.StoredPath, URIs: out.URIs,
			PartSize: ps, ETags: map[int]string{}}
		j.started(f.Name, mp)
	}
	var todo []int
	for n := 1; n <= len(mp.URIs); n++ {
		off := int64(n-1) * mp.PartSize
		if j.etag(f.Name, n) != "" {
			m.add(min(mp.PartSize, f.Size-off)) // done by an earlier run
			continue
		}
		todo = append(todo, n)
	}
	err := forEach(ctx, u.Parallel, todo, func(ctx context.Context, n int) error {
		off := int64(n-1) * mp.PartSize
		etag, err := u.putPart(ctx, m, f, mp.URIs[n-1], off, min(mp.PartSize, f.Size-off))
		if err != nil {
			return fmt.Errorf("upload part %d of %s: %w", n, f.Path, err)
		}
		j.partDone(f.Name, n, etag)
		return nil
	})
	if err != nil {
		return err
	}
	in := map[string]any{"key": mp.Key, "uploadId": mp.UploadID, "partETags": partETags(j, f.Name, len(mp.URIs))}
	if err := u.API.Do(ctx, http.MethodPost, "/upload/complete", nil, in, nil); err != nil {
		return fmt.Errorf("complete the upload of %s: %w", f.Path, err)
	}
	j.fileStored(f.Name, mp.StoredPath)
	m.fileDone()
	return nil
}

func partETags(j *journal, name string, n int) []string {
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%d+%s", i, j.etag(name, i)))
	}
	return out
}

// putPart PUTs one part to its signed URL and returns the part's ETag.
func (u *Uploader) putPart(ctx context.Context, m *meter, f File, uri string, off, n int64) (string, error) {
	var etag string
	err := retry(ctx, func() error {
		body, err := openSection(f, off, n)
		if err != nil {
			return err
		}
		defer body.Close()
		cr := &countingReader{r: body, m: m}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, uri, cr)
		if err != nil {
			return err
		}
		req.ContentLength = n
		resp, err := u.HTTP.Do(req)
		if err != nil {
			cr.undo()
			if body.err != nil {
				return body.err
			}
			return transient{err}
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		if resp.StatusCode >= 300 {
			cr.undo()
			err := fmt.Errorf("storage answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
			if resp.StatusCode >= 500 {
				return transient{err}
			}
			return err
		}
		etag = strings.Trim(resp.Header.Get("ETag"), `"`)
		return body.err
	})
	return etag, err
}

// section reads n bytes of a file from off, and fails when the file
// turns out shorter: it changed or vanished during the upload.
type section struct {
	f    *os.File
	r    io.Reader
	left int64
	name string
	err  error
}

func openSection(f File, off, n int64) (*section, error) {
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s vanished during the upload", f.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", f.Path, unwrapPath(err))
	}
	return &section{f: fh, r: io.NewSectionReader(fh, off, n), left: n, name: f.Path}, nil
}

func (s *section) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		s.err = fmt.Errorf("%s changed during the upload (it is shorter than when it was listed)", s.name)
		return n, s.err
	}
	return n, err
}

func (s *section) Close() error { return s.f.Close() }

// transient is a failure worth another try: the network or a 5xx.
type transient struct{ error }

func (t transient) Unwrap() error { return t.error }

// retry runs fn up to three times while it fails transiently.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		err = fn()
		var t transient
		if err == nil || ctx.Err() != nil || !errors.As(err, &t) {
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

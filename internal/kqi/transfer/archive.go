package transfer

import (
	"archive/tar"
	"context"
	"io"
	"net/http"
	"net/url"
)

// Archive sends files as one tar stream to path (POST /data/archive or
// /data/{id}/archive): many small files in one request, which the server
// stores all or nothing. It decodes the answer into out.
func (u *Uploader) Archive(ctx context.Context, path string, q url.Values, files []File, out any) (Stats, error) {
	var total int64
	for _, f := range files {
		total += f.Size
	}
	m := newMeter(ctx, u.Progress, "upload", total, len(files))
	pr, pw := io.Pipe()
	werr := make(chan error, 1)
	go func() {
		err := writeTar(pw, m, files)
		pw.CloseWithError(err)
		werr <- err
	}()
	err := u.API.Send(ctx, http.MethodPost, path, q, "application/x-tar", pr, -1, out)
	pr.CloseWithError(err) // stops the writer when the request ended early
	if e := <-werr; e != nil && e != err && ctx.Err() == nil {
		err = e // a file that vanished or shrank: the cause, not the broken request
	}
	if err != nil {
		return m.stop(false), err
	}
	return m.stop(true), nil
}

func writeTar(w io.Writer, m *meter, files []File) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		body, err := openSection(f, 0, f.Size)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: f.Name, Mode: 0o644, Size: f.Size, ModTime: f.ModTime, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			body.Close()
			return err
		}
		_, err = io.Copy(tw, &countingReader{r: body, m: m})
		body.Close()
		if err != nil {
			return err
		}
		m.fileDone()
	}
	return tw.Close()
}

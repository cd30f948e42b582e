package transfer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// Item is a file to download from a signed URL to Dest.
type Item struct {
	URL  string
	Dest string
	Size int64 // 0 when unknown
}

// Downloader fetches signed URLs, Parallel at a time. A file already at
// its destination with the expected size is kept, so that an interrupted
// download continues where it stopped; others are written beside their
// destination and renamed into place when complete.
type Downloader struct {
	HTTP     *http.Client
	Parallel int
	Progress io.Writer
}

// Download fetches items and returns what it moved.
func (d *Downloader) Download(ctx context.Context, items []Item) (Stats, error) {
	var total int64
	var todo []Item
	for _, it := range items {
		if it.Size > 0 {
			if fi, err := os.Stat(it.Dest); err == nil && fi.Size() == it.Size {
				continue
			}
		}
		total += it.Size
		todo = append(todo, it)
	}
	m := newMeter(ctx, d.Progress, "download", total, len(todo))
	err := forEach(ctx, d.Parallel, todo, func(ctx context.Context, it Item) error {
		return retry(ctx, func() error { return d.one(ctx, m, it) })
	})
	return m.stop(err == nil), err
}

func (d *Downloader) one(ctx context.Context, m *meter, it Item) error {
	if err := os.MkdirAll(filepath.Dir(it.Dest), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, it.URL, nil)
	if err != nil {
		return err
	}
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return transient{fmt.Errorf("download %s: %w", it.Dest, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("download %s: storage answered %s", it.Dest, resp.Status)
		if resp.StatusCode >= 500 {
			return transient{err}
		}
		return err
	}
	tmp := it.Dest + ".kqi-part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	cr := &countingReader{r: resp.Body, m: m}
	n, err := io.Copy(f, cr)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && it.Size > 0 && n != it.Size {
		err = fmt.Errorf("got %d of %d bytes", n, it.Size)
	}
	if err != nil {
		cr.undo()
		return transient{fmt.Errorf("download %s: %w", it.Dest, err)}
	}
	if err := os.Rename(tmp, it.Dest); err != nil {
		return err
	}
	m.fileDone()
	return nil
}

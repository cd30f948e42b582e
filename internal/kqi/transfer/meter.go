package transfer

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Stats sum up a finished transfer.
type Stats struct {
	Files   int
	Bytes   int64
	Elapsed time.Duration
}

func (s Stats) String() string {
	rate := float64(s.Bytes) / max(s.Elapsed.Seconds(), 1e-3)
	return fmt.Sprintf("%d files, %s in %s (%s/s)", s.Files, size(float64(s.Bytes)),
		s.Elapsed.Round(10*time.Millisecond), size(rate))
}

func size(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// meter counts bytes and files of one transfer and, given a terminal,
// draws them as a bar with rate and ETA.
type meter struct {
	p      *mpb.Progress
	bar    *mpb.Bar
	bytes  atomic.Int64
	files  atomic.Int64
	nfiles int
	start  time.Time
}

func newMeter(ctx context.Context, w io.Writer, label string, total int64, nfiles int) *meter {
	m := &meter{nfiles: nfiles, start: time.Now()}
	if w == nil {
		return m
	}
	m.p = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	m.bar = m.p.AddBar(total,
		mpb.PrependDecorators(
			decor.Name(label+" ", decor.WCSyncSpaceR),
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%d/%d files", m.files.Load(), m.nfiles) }, decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace),
			decor.Name(" ETA "),
			decor.AverageETA(decor.ET_STYLE_GO),
		))
	return m
}

// add counts n bytes moved (negative when a failed attempt is undone).
func (m *meter) add(n int64) {
	v := m.bytes.Add(n)
	if m.bar != nil {
		m.bar.SetCurrent(v)
	}
}

func (m *meter) fileDone() { m.files.Add(1) }

// stop ends the bar: complete, or left where it stopped.
func (m *meter) stop(ok bool) Stats {
	if m.bar != nil {
		if ok {
			m.bar.SetTotal(-1, true)
		} else {
			m.bar.Abort(false)
		}
		m.p.Wait()
	}
	return Stats{Files: int(m.files.Load()), Bytes: m.bytes.Load(), Elapsed: time.Since(m.start)}
}

// countingReader feeds the meter as a body is read, and remembers how
// much so that a failed attempt can be taken back.
type countingReader struct {
	r io.Reader
	m *meter
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.m.add(int64(n))
	return n, err
}

func (c *countingReader) undo() {
	c.m.add(-c.n)
	c.n = 0
}

package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// logStream is the supervisor's side of a job's log: the command's output
// appended to the attach log file, and every follower pushed what is
// written as it is written. The file is the only buffer: a slow follower
// reads behind from the file and never makes the supervisor hold output in
// memory. Past limit bytes the file gets a marker line and the rest of the
// output is read and dropped, so that a command printing without end
// neither fills the disk nor blocks.
type logStream struct {
	path  string
	limit int64

	mu      sync.Mutex
	f       *os.File
	size    int64
	capped  bool
	closed  bool
	changed chan struct{} // closed and replaced on every write and on close
}

func openLogStream(path string, limit int64) (*logStream, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &logStream{path: path, limit: limit, f: f, size: info.Size(), changed: make(chan struct{})}, nil
}

// Write appends p (or what fits under the limit) and wakes the followers.
// It reports len(p) even past the limit: the command's output is consumed.
func (l *logStream) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.capped || l.closed {
		return len(p), nil
	}
	chunk := p
	if l.limit > 0 && l.size+int64(len(chunk)) > l.limit {
		chunk = chunk[:max(l.limit-l.size, 0)]
		l.capped = true
	}
	n, err := l.f.Write(chunk)
	l.size += int64(n)
	if l.capped && err == nil {
		m, werr := fmt.Fprintf(l.f, "\n[kamonohashi] the log reached its limit of %d bytes; further output is not kept\n", l.limit)
		l.size += int64(m)
		err = werr
	}
	l.wake()
	if err != nil {
		return n, err
	}
	return len(p), nil
}

// Printf writes a line of our own (prepare's errors, the end).
func (l *logStream) Printf(format string, args ...any) {
	fmt.Fprintf(l, "[kamonohashi] "+format+"\n", args...)
}

func (l *logStream) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Close ends the stream: followers get the rest and then EOF.
func (l *logStream) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.wake()
	return l.f.Close()
}

// follow sends the log from its start to w, then what is written, until
// the stream is closed (or ctx ends).
func (l *logStream) follow(ctx context.Context, w io.Writer) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	var off int64
	for {
		l.mu.Lock()
		size, closed, changed := l.size, l.closed, l.changed
		l.mu.Unlock()
		if off < size {
			n, err := io.Copy(w, io.NewSectionReader(f, off, size-off))
			off += n
			if err != nil {
				return err
			}
			continue
		}
		if closed {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

package auth

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Hasher runs argon2id with bounded concurrency. Each hash takes 19 MiB and
// a CPU for tens of milliseconds, so a burst of logins must queue rather
// than multiply memory; past a bounded queue the server answers 503.
type Hasher struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
}

// NewHasher allows parallel hashes at once and queue more waiting for a
// slot; parallel <= 0 means one per CPU.
func NewHasher(parallel, queue int) *Hasher {
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	return &Hasher{slots: make(chan struct{}, parallel), maxQueue: int64(queue)}
}

// ErrBusy is returned when too many password checks are already waiting.
var ErrBusy = (&apperr.Error{Kind: apperr.KindUnavailable, Title: "The server is busy checking passwords."}).
	WithDetail("try again in a moment").WithHeader("Retry-After", "1")

func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	default:
	}
	if h.waiting.Add(1) > h.maxQueue {
		h.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Hash returns the argon2id hash of pw once a slot is free.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw)
}

// Verify reports whether pw matches encoded once a slot is free.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return VerifyPassword(encoded, pw), nil
}

package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHasherBounds: with every slot taken, callers queue up to the limit,
// the next one is refused at once, and a queued caller gives up with its
// context.
func TestHasherBounds(t *testing.T) {
	h := NewHasher(1, 1)
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() {
		_, err := h.Verify(ctx, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "pw")
		queued <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for h.waiting.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := h.Hash(context.Background(), "another-password"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with a full queue = %v, want ErrBusy", err)
	}
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Errorf("queued Verify after cancel = %v, want context.Canceled", err)
	}

	release()
	if _, err := h.Hash(context.Background(), "another-password"); err != nil {
		t.Errorf("Hash with a free slot = %v", err)
	}
}

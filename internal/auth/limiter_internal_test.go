package auth

import (
	"strconv"
	"testing"
	"time"
)

// TestLoginLimiterBounded: a flood of fresh keys within one window neither
// grows the map past its bound nor stops new keys from being admitted.
func TestLoginLimiterBounded(t *testing.T) {
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	l := NewLoginLimiter(3, time.Hour, func() time.Time { return at })
	for i := range maxTrackedKeys + maxTrackedKeys/5 {
		if _, ok, _ := l.Begin("spray-" + strconv.Itoa(i)); !ok {
			t.Fatalf("fresh key %d refused", i)
		}
		if len(l.attempts) > maxTrackedKeys {
			t.Fatalf("%d keys tracked, bound %d", len(l.attempts), maxTrackedKeys)
		}
	}
}

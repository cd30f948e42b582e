package auth

import (
	"sync"
	"time"
)

// LoginLimiter refuses further logins for a key (user name and client
// address) after max attempts that did not succeed within window, until the
// window has passed since the last one. An attempt counts from the moment it
// is admitted, so many parallel requests cannot all slip in before the first
// failure is recorded; Succeed or Refund take it back.
type LoginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	count int
	last  time.Time
}

// maxTrackedKeys bounds memory under a spray of user names.
const maxTrackedKeys = 100_000

// NewLoginLimiter returns a limiter; now is the clock.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	return &LoginLimiter{max: max, window: window, now: now, fails: map[string]*failures{}}
}

// Begin admits an attempt for key and counts it as failed until Succeed or
// Refund says otherwise. When the key is refused it reports how long to wait.
func (l *LoginLimiter) Begin(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.fails[key]
	if ok && now.Sub(f.last) >= l.window {
		delete(l.fails, key)
		ok = false
	}
	if ok && f.count >= l.max {
		return false, l.window - now.Sub(f.last)
	}
	if !ok {
		l.evictExpired(now)
		f = &failures{}
		l.fails[key] = f
	}
	f.count++
	f.last = now
	return true, 0
}

// evictExpired drops stale keys once the map is full; called with mu held.
func (l *LoginLimiter) evictExpired(now time.Time) {
	if len(l.fails) < maxTrackedKeys {
		return
	}
	for k, f := range l.fails {
		if now.Sub(f.last) >= l.window {
			delete(l.fails, k)
		}
	}
}

// Succeed forgets the key's failures.
func (l *LoginLimiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// Refund takes back one admitted attempt without forgetting earlier
// failures (a good login from an address does not excuse its other names).
func (l *LoginLimiter) Refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok {
		return
	}
	if f.count--; f.count <= 0 {
		delete(l.fails, key)
	}
}

package auth

import (
	"sync"
	"time"
)

// LoginLimiter refuses further logins for a key (user name and client
// address) after max failures within window, until the window has passed
// since the last failure. Success clears the key.
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

// Allow reports whether key may try now, and if not, how long to wait.
func (l *LoginLimiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok {
		return true, 0
	}
	since := l.now().Sub(f.last)
	if since >= l.window {
		delete(l.fails, key)
		return true, 0
	}
	if f.count >= l.max {
		return false, l.window - since
	}
	return true, 0
}

// Fail records a failed attempt.
func (l *LoginLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) >= maxTrackedKeys {
		for k, f := range l.fails {
			if now.Sub(f.last) >= l.window {
				delete(l.fails, k)
			}
		}
	}
	f, ok := l.fails[key]
	if !ok || now.Sub(f.last) >= l.window {
		f = &failures{}
		l.fails[key] = f
	}
	f.count++
	f.last = now
}

// Succeed forgets the key's failures.
func (l *LoginLimiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

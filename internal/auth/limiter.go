package auth

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// LoginLimiter refuses a key (a user name and client address, or an
// address alone) once max attempts that did not succeed fall within the
// sliding window. An attempt counts from the moment it is admitted, so many
// parallel requests cannot all slip in before the first failure is
// recorded; Succeed or Refund take it back.
type LoginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	attempts map[string][]time.Time // admission times within the window, oldest first
}

// maxTrackedKeys bounds memory under a spray of user names or addresses.
const maxTrackedKeys = 100_000

// NewLoginLimiter returns a limiter; now is the clock.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	return &LoginLimiter{max: max, window: window, now: now, attempts: map[string][]time.Time{}}
}

// Attempt is an admitted attempt, to be refunded when it turns out not to
// be a failed guess.
type Attempt struct {
	key string
	at  time.Time
}

// Begin admits an attempt for key and counts it as failed until Succeed or
// Refund says otherwise. When the key is refused it reports how long until
// its oldest counted attempt leaves the window.
func (l *LoginLimiter) Begin(key string) (a Attempt, ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.live(key, now)
	if len(ts) >= l.max {
		return Attempt{}, false, ts[len(ts)-l.max].Add(l.window).Sub(now)
	}
	if len(ts) == 0 {
		l.makeRoom(now)
	}
	l.attempts[key] = append(ts, now)
	return Attempt{key: key, at: now}, true, 0
}

// live drops key's attempts that have left the window; called with mu held.
func (l *LoginLimiter) live(key string, now time.Time) []time.Time {
	ts := l.attempts[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i == len(ts) {
		delete(l.attempts, key)
		return nil
	}
	return ts[i:]
}

// makeRoom keeps the map bounded: once full, expired keys go, and if none
// had expired, an arbitrary tenth of the keys is forgotten (a flood of keys
// must not stop the server from admitting anyone). Called with mu held.
func (l *LoginLimiter) makeRoom(now time.Time) {
	if len(l.attempts) < maxTrackedKeys {
		return
	}
	for k := range l.attempts {
		l.live(k, now)
	}
	for k := range l.attempts {
		if len(l.attempts) < maxTrackedKeys*9/10 {
			break
		}
		delete(l.attempts, k)
	}
}

// Succeed forgets the key's attempts.
func (l *LoginLimiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.attempts, key)
}

// Refund takes back one admitted attempt, leaving the others (and their
// times) as they were: a good login from an address neither excuses nor
// prolongs its other failures.
func (l *LoginLimiter) Refund(a Attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.attempts[a.key]
	i := slices.Index(ts, a.at)
	if i < 0 {
		return
	}
	ts = slices.Delete(ts, i, i+1)
	if len(ts) == 0 {
		delete(l.attempts, a.key)
		return
	}
	l.attempts[a.key] = ts
}

// ClientKey is the address a client is limited by: IPv4 addresses as they
// are, IPv6 addresses by their /64, which one host can fill at will.
func ClientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}

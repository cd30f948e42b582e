package auth_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

func TestLoginLimiter(t *testing.T) {
	const (
		maxFails = 3
		window   = 15 * time.Minute
		key      = "alice|10.0.0.1"
	)
	// st carries the limiter, the clock and the last admitted attempt.
	type st struct {
		l    *auth.LoginLimiter
		clk  *clock
		last auth.Attempt
	}
	type step func(s *st)
	fail := func(n int) step {
		return func(s *st) {
			for range n {
				s.last, _, _ = s.l.Begin(key) // admitted and never taken back: a failure
			}
		}
	}
	wait := func(d time.Duration) step { return func(s *st) { s.clk.Advance(d) } }
	succeed := func(s *st) { s.l.Succeed(key) }
	refundLast := func(s *st) { s.l.Refund(s.last) }
	otherFails := func(s *st) {
		for range maxFails {
			s.l.Begin("mallory|10.0.0.2")
		}
	}

	type result struct {
		Allowed bool
		Wait    time.Duration
	}
	cases := map[string]struct {
		steps []step
		want  result
	}{
		"a key never seen may try": {
			want: result{Allowed: true},
		},
		"fewer failures than the maximum still may try": {
			steps: []step{fail(maxFails - 1)},
			want:  result{Allowed: true},
		},
		"the maximum of failures is refused for the whole window": {
			steps: []step{fail(maxFails)},
			want:  result{Allowed: false, Wait: window},
		},
		"a refusal counts down": {
			steps: []step{fail(maxFails), wait(5 * time.Minute)},
			want:  result{Allowed: false, Wait: 10 * time.Minute},
		},
		"once the window has passed the key may try again": {
			steps: []step{fail(maxFails), wait(window)},
			want:  result{Allowed: true},
		},
		"a success clears the failures": {
			steps: []step{fail(maxFails), succeed},
			want:  result{Allowed: true},
		},
		"a refund takes back one attempt": {
			steps: []step{fail(maxFails), refundLast},
			want:  result{Allowed: true},
		},
		"a refund takes back only one attempt": {
			steps: []step{fail(maxFails), refundLast, fail(1)},
			want:  result{Allowed: false, Wait: window},
		},
		"refunded attempts do not keep old failures alive": {
			// Two failures, then a good login every 10 minutes: the failures
			// still leave the window 15 minutes after they happened.
			steps: []step{fail(maxFails - 1), wait(10 * time.Minute), fail(1), refundLast,
				wait(10 * time.Minute), fail(1), refundLast, fail(maxFails - 1)},
			want: result{Allowed: true},
		},
		"failures older than the window do not count": {
			steps: []step{fail(maxFails - 1), wait(window), fail(1)},
			want:  result{Allowed: true},
		},
		"failures within one window add up": {
			steps: []step{fail(1), wait(5 * time.Minute), fail(1), wait(5 * time.Minute), fail(1)},
			want:  result{Allowed: false, Wait: 5 * time.Minute},
		},
		"the window slides: the oldest failure leaves first": {
			steps: []step{fail(1), wait(10 * time.Minute), fail(1), wait(10 * time.Minute), fail(1)},
			want:  result{Allowed: true},
		},
		"another key's failures do not refuse this one": {
			steps: []step{otherFails},
			want:  result{Allowed: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &st{clk: newClock(epoch)}
			s.l = auth.NewLoginLimiter(maxFails, window, s.clk.Now)
			for _, step := range tc.steps {
				step(s)
			}
			var got result
			_, got.Allowed, got.Wait = s.l.Begin(key)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Begin (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoginLimiterParallel: attempts that arrive together are counted on
// admission, so no more than the maximum get through however many race.
func TestLoginLimiterParallel(t *testing.T) {
	const maxFails, racers = 5, 200
	l := auth.NewLoginLimiter(maxFails, time.Minute, newClock(epoch).Now)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			if _, ok, _ := l.Begin("alice|10.0.0.1"); ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != maxFails {
		t.Errorf("%d of %d parallel attempts admitted, want %d", got, racers, maxFails)
	}
}

func TestClientKey(t *testing.T) {
	cases := map[string]string{
		"10.0.0.1":                 "10.0.0.1",
		"::ffff:10.0.0.1":          "10.0.0.1",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::": "2001:db8:1:2::/64",
		"fe80::1%eth0":             "fe80::/64",
		"not an address":           "not an address",
	}
	for in, want := range cases {
		if got := auth.ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

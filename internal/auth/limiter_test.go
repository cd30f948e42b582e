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
	type step func(l *auth.LoginLimiter, clk *clock)
	fail := func(n int) step {
		return func(l *auth.LoginLimiter, _ *clock) {
			for range n {
				l.Begin(key) // admitted and never taken back: a failure
			}
		}
	}
	wait := func(d time.Duration) step { return func(_ *auth.LoginLimiter, clk *clock) { clk.Advance(d) } }
	succeed := func(l *auth.LoginLimiter, _ *clock) { l.Succeed(key) }
	refund := func(l *auth.LoginLimiter, _ *clock) { l.Refund(key) }
	otherFails := func(l *auth.LoginLimiter, _ *clock) {
		for range maxFails {
			l.Begin("mallory|10.0.0.2")
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
		"a refusal counts down from the last failure": {
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
			steps: []step{fail(maxFails), refund},
			want:  result{Allowed: true},
		},
		"a refund takes back only one attempt": {
			steps: []step{fail(maxFails), refund, fail(1)},
			want:  result{Allowed: false, Wait: window},
		},
		"failures older than the window do not count": {
			steps: []step{fail(maxFails - 1), wait(window), fail(1)},
			want:  result{Allowed: true},
		},
		"failures spread within the window add up": {
			steps: []step{fail(1), wait(10 * time.Minute), fail(1), wait(10 * time.Minute), fail(1)},
			want:  result{Allowed: false, Wait: window},
		},
		"another key's failures do not refuse this one": {
			steps: []step{otherFails},
			want:  result{Allowed: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newClock(epoch)
			l := auth.NewLoginLimiter(maxFails, window, clk.Now)
			for _, s := range tc.steps {
				s(l, clk)
			}
			var got result
			got.Allowed, got.Wait = l.Begin(key)
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.Begin("alice|10.0.0.1"); ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != maxFails {
		t.Errorf("%d of %d parallel attempts admitted, want %d", got, racers, maxFails)
	}
}

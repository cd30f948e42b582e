package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLoginRateLimit: after LoginMaxFails wrong passwords for a user from one
// address, even the right password gets 429 with Retry-After until the
// lockout has passed on the server's clock; other users are not affected.
func TestLoginRateLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		e.createUser(t, admin, makeUser("bob").in(sandboxID, roleUsers))
		try := func(t *testing.T, user, pw string) *resp {
			t.Helper()
			return e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: user, Password: pw})
		}

		for i := range loginMaxFails {
			p := try(t, adminName, "wrong-password").wantProblem(t, http.StatusBadRequest)
			if p.Title != "User name or password is incorrect." {
				t.Errorf("failure %d: title %q", i+1, p.Title)
			}
		}

		locked := try(t, adminName, adminPassword)
		locked.wantProblem(t, http.StatusTooManyRequests)
		if got, want := locked.Header.Get("Retry-After"), "900"; got != want {
			t.Errorf("Retry-After = %q, want %q (the whole lockout, the clock has not moved)", got, want)
		}
		// The user name is matched as the login matches it.
		try(t, " ADMIN ", adminPassword).wantProblem(t, http.StatusTooManyRequests)
		// Another user from the same address is not locked out.
		try(t, "bob", passwordOf("bob")).want(t, http.StatusOK)
		// Tokens issued before keep working.
		admin.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)

		e.clock.Advance(loginLockout - time.Minute)
		locked = try(t, adminName, adminPassword)
		locked.wantProblem(t, http.StatusTooManyRequests)
		if got, want := locked.Header.Get("Retry-After"), "60"; got != want {
			t.Errorf("a minute before the end: Retry-After = %q, want %q", got, want)
		}

		e.clock.Advance(time.Minute)
		try(t, adminName, adminPassword).want(t, http.StatusOK)

		// Success forgets the failures: one more wrong password is a plain 400.
		try(t, adminName, "wrong-password").wantProblem(t, http.StatusBadRequest)
		try(t, adminName, adminPassword).want(t, http.StatusOK)
	})
}

// TestLoginRefusals: bad credentials never say whether the user exists.
func TestLoginRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		cases := map[string]struct {
			in         loginIn
			wantStatus int
			wantTitle  string
		}{
			"a wrong password": {
				in: loginIn{UserName: adminName, Password: "wrong-password"}, wantStatus: http.StatusBadRequest,
				wantTitle: "User name or password is incorrect."},
			"an unknown user reads the same": {
				in: loginIn{UserName: "nobody", Password: "wrong-password"}, wantStatus: http.StatusBadRequest,
				wantTitle: "User name or password is incorrect."},
			"no password": {
				in: loginIn{UserName: adminName}, wantStatus: http.StatusBadRequest},
			"no user name": {
				in: loginIn{Password: adminPassword}, wantStatus: http.StatusBadRequest},
			"a tenant the user does not belong to": {
				in: loginIn{UserName: adminName, Password: adminPassword, TenantID: &teamA.ID}, wantStatus: http.StatusBadRequest},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				p := e.anon().Do(t, "POST", "/api/v2/account/login", tc.in).wantProblem(t, tc.wantStatus)
				if tc.wantTitle != "" && p.Title != tc.wantTitle {
					t.Errorf("title %q, want %q", p.Title, tc.wantTitle)
				}
			})
		}
	})
}

// TestLoginSprayLimit: one address trying many user names is refused once
// its failures, summed over the names, reach five times the per-user limit;
// a successful login of its own does not reset that count.
func TestLoginSprayLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		try := func(t *testing.T, user, pw string) *resp {
			t.Helper()
			return e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: user, Password: pw})
		}
		const perAddress = loginMaxFails * 5
		for i := range perAddress {
			// Below each name's own limit: every name is tried once.
			try(t, fmt.Sprintf("guess%d", i), "wrong-password").wantProblem(t, http.StatusBadRequest)
			if i == perAddress/2 {
				try(t, adminName, adminPassword).want(t, http.StatusOK)
			}
		}
		try(t, "guess-next", "wrong-password").wantProblem(t, http.StatusTooManyRequests)
		try(t, adminName, adminPassword).wantProblem(t, http.StatusTooManyRequests)

		e.clock.Advance(loginLockout)
		try(t, adminName, adminPassword).want(t, http.StatusOK)
	})
}

// TestLoginParallelGuesses: guesses sent all at once are counted as they
// arrive, so no more than the limit are checked however many race.
func TestLoginParallelGuesses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const n = 4 * loginMaxFails
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i] = e.anon().Do(t, "POST", "/api/v2/account/login",
					loginIn{UserName: adminName, Password: fmt.Sprintf("guess-%d", i)}).Status
			})
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		want := map[int]int{http.StatusBadRequest: loginMaxFails, http.StatusTooManyRequests: n - loginMaxFails}
		if diff := cmp.Diff(want, count); diff != "" {
			t.Errorf("statuses of %d parallel guesses (-want +got):\n%s", n, diff)
		}
	})
}

// TestPasswordChangeLimit: a stolen token cannot be used to guess the
// current password: wrong guesses are limited like logins.
func TestPasswordChangeLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		e.createUser(t, admin, makeUser("bob").in(sandboxID, roleUsers))
		bob := e.login(t, "bob", passwordOf("bob"))
		change := func(current string) *resp {
			return bob.Do(t, "PUT", "/api/v2/account/password", map[string]string{"currentPassword": current, "newPassword": "bob-new-pass-2"})
		}
		for range loginMaxFails {
			change("wrong-guess").wantProblem(t, http.StatusBadRequest)
		}
		change(passwordOf("bob")).wantProblem(t, http.StatusTooManyRequests)
		e.clock.Advance(loginLockout)
		change(passwordOf("bob")).want(t, http.StatusNoContent)
		e.login(t, "bob", "bob-new-pass-2")
	})
}

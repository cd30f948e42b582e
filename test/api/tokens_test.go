package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// forge signs a token with the given secret and claims, as an attacker (or
// a control case with the install's real secret) would.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// adminClaims are the claims of a genuine admin token for sandbox at now.
func adminClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"name": adminName, "groupsid": "1", "gen": 0, "sub": "1", "jti": "x",
		"iss": "kamonohashi", "aud": []string{"kamonohashi-api"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for ck, cv := range c {
		out[ck] = cv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// TestBadTokens: every token that is not one the server issued and still
// honours gets 401 with the error body, and the caller learns nothing else.
func TestBadTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		secret, err := e.app.DB.JWTSecret(context.Background())
		if err != nil {
			t.Fatalf("read the install's token secret: %v", err)
		}
		now := e.clock.Now()
		good := adminClaims(now)
		parts := strings.Split(admin.token, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		tampered := strings.Replace(string(payload), `"name":"admin"`, `"name":"admio"`, 1)
		if tampered == string(payload) {
			t.Fatalf("payload %s has no name claim to tamper with", payload)
		}

		cases := map[string]struct {
			header    string // Authorization; "-" = none
			wantTitle string
		}{
			"no Authorization header is refused": {
				header: "-", wantTitle: "The access code is required."},
			"an empty bearer token is refused": {
				header: "Bearer ", wantTitle: "The access code is required."},
			"a Basic credential is not a token": {
				header: "Basic YWRtaW46YWRtaW4tcGFzcy0x", wantTitle: "The access code is required."},
			"a string that is not a JWT is refused": {
				header: "Bearer not-a-token", wantTitle: "The access code is expired or invalid."},
			"a token whose payload was edited is refused": {
				header:    "Bearer " + parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2],
				wantTitle: "The access code is expired or invalid."},
			"a token whose signature was cut is refused": {
				header: "Bearer " + parts[0] + "." + parts[1] + ".", wantTitle: "The access code is expired or invalid."},
			"a token signed with another secret is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-characters!"), good),
				wantTitle: "The access code is expired or invalid."},
			"an unsigned token (alg none) is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good),
				wantTitle: "The access code is expired or invalid."},
			"a token for another audience is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "aud", []string{"elsewhere"})),
				wantTitle: "The access code is expired or invalid."},
			"a token without expiry is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "exp", nil)),
				wantTitle: "The access code is expired or invalid."},
			"a token of a user that does not exist is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "sub", "999")),
				wantTitle: "The access code is expired or invalid."},
			"a token whose user name does not match its id is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "name", "alice")),
				wantTitle: "The access code is expired or invalid."},
			"a token of an older password generation is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "gen", -1)),
				wantTitle: "The access code is expired or invalid."},
			"a token for a tenant that does not exist is refused": {
				header:    "Bearer " + forge(t, jwt.SigningMethodHS256, secret, with(good, "groupsid", "999")),
				wantTitle: "The access code is expired or invalid."},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				req, err := http.NewRequest("GET", e.url+"/api/v2/account", nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.header != "-" {
					req.Header.Set("Authorization", tc.header)
				}
				p := e.send(t, req).wantProblem(t, http.StatusUnauthorized)
				if p.Title != tc.wantTitle {
					t.Errorf("title %q, want %q", p.Title, tc.wantTitle)
				}
			})
		}

		t.Run("the auth scheme is case-insensitive (RFC 9110 §11.1)", func(t *testing.T) {
			req, err := http.NewRequest("GET", e.url+"/api/v2/account", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "bearer "+admin.token)
			e.send(t, req).want(t, http.StatusOK)
		})

		t.Run("control: a token forged with the install's secret and genuine claims works", func(t *testing.T) {
			e.as(forge(t, jwt.SigningMethodHS256, secret, good)).Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		})
	})
}

// TestTokenExpiry: a token works until its lifetime has passed on the
// server's clock, and not a second after.
func TestTokenExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var out loginOut
		e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: adminName, Password: adminPassword, ExpiresIn: ptr(int64(60))}).
			want(t, http.StatusOK).decode(t, &out)
		if out.ExpiresIn != 60 {
			t.Errorf("expiresIn = %d, want the 60 asked for", out.ExpiresIn)
		}
		short := e.as(out.Token)
		long := e.admin(t)

		e.clock.Advance(59 * time.Second)
		short.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		e.clock.Advance(2 * time.Second)
		p := short.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
		if p.Title != "The access code is expired or invalid." {
			t.Errorf("expired token: title %q", p.Title)
		}
		long.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)

		e.clock.Advance(time.Duration(defaultExpiresIn)*time.Second - 61*time.Second)
		long.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
	})
}

// TestTokenRevocation: a password change, by the user or an administrator,
// revokes every token issued before it, including the one used for it.
func TestTokenRevocation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		e.createUser(t, admin, makeUser("alice").in(sandboxID, roleUsers))
		bob := e.createUser(t, admin, makeUser("bob").in(sandboxID, roleUsers))

		t.Run("own password change", func(t *testing.T) {
			first, second := e.login(t, "alice", passwordOf("alice")), e.login(t, "alice", passwordOf("alice"))
			first.Do(t, "PUT", "/api/v2/account/password", passwordIn{CurrentPassword: passwordOf("alice"), NewPassword: "alice-new-pass"}).
				want(t, http.StatusNoContent)
			for i, c := range []*client{first, second} {
				if got := c.Do(t, "GET", "/api/v2/account", nil); got.Status != http.StatusUnauthorized {
					t.Errorf("token %d issued before the change: status %d, want 401", i+1, got.Status)
				}
			}
			e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: "alice", Password: passwordOf("alice")}).
				wantProblem(t, http.StatusBadRequest)
			e.login(t, "alice", "alice-new-pass").Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		})

		t.Run("administrator reset", func(t *testing.T) {
			asBob := e.login(t, "bob", passwordOf("bob"))
			admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/users/%d/password", bob.ID), "bob-reset-pass").want(t, http.StatusNoContent)
			asBob.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
			e.login(t, "bob", "bob-reset-pass")
			// The administrator's own token is untouched.
			admin.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		})

		t.Run("deleted user", func(t *testing.T) {
			carol := e.createUser(t, admin, makeUser("carol").in(sandboxID, roleUsers))
			asCarol := e.login(t, "carol", passwordOf("carol"))
			admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/users/%d", carol.ID), nil).want(t, http.StatusNoContent)
			asCarol.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
			admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/users/%d", carol.ID), nil).wantProblem(t, http.StatusNotFound)
			e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: "carol", Password: passwordOf("carol")}).
				wantProblem(t, http.StatusBadRequest)
		})

		t.Run("wrong current password changes nothing", func(t *testing.T) {
			asBob := e.login(t, "bob", "bob-reset-pass")
			asBob.Do(t, "PUT", "/api/v2/account/password", passwordIn{CurrentPassword: "not-my-password", NewPassword: "bob-other-pass"}).
				wantProblem(t, http.StatusBadRequest)
			asBob.Do(t, "PUT", "/api/v2/account/password", passwordIn{CurrentPassword: "bob-reset-pass", NewPassword: "bob-reset-pass"}).
				wantProblem(t, http.StatusBadRequest)
			asBob.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		})
	})
}

// TestTokenLifetime: clients choose a lifetime of 1 s to 3650 days at login
// and at tenant switch; 0 or none means the default.
func TestTokenLifetime(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		cases := map[string]struct {
			expiresIn  *int64
			wantStatus int
			want       int64
		}{
			"omitted gives the default":           {expiresIn: nil, wantStatus: http.StatusOK, want: defaultExpiresIn},
			"zero gives the default":              {expiresIn: ptr(int64(0)), wantStatus: http.StatusOK, want: defaultExpiresIn},
			"one second is the shortest":          {expiresIn: ptr(int64(1)), wantStatus: http.StatusOK, want: 1},
			"3650 days is the longest":            {expiresIn: ptr(maxExpiresIn), wantStatus: http.StatusOK, want: maxExpiresIn},
			"3650 days and one second is refused": {expiresIn: ptr(maxExpiresIn + 1), wantStatus: http.StatusBadRequest},
			"a negative lifetime is refused":      {expiresIn: ptr(int64(-1)), wantStatus: http.StatusBadRequest},
			"an absurd lifetime is refused":       {expiresIn: ptr(int64(1) << 62), wantStatus: http.StatusBadRequest},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				for _, how := range []struct {
					name string
					call func() *resp
				}{
					{"login", func() *resp {
						return e.anon().Do(t, "POST", "/api/v2/account/login",
							loginIn{UserName: adminName, Password: adminPassword, ExpiresIn: tc.expiresIn})
					}},
					{"tenant switch", func() *resp {
						return admin.Do(t, "POST", "/api/v2/account/tenants/1/token", switchIn{ExpiresIn: tc.expiresIn})
					}},
				} {
					r := how.call()
					if tc.wantStatus != http.StatusOK {
						r.wantProblem(t, tc.wantStatus)
						continue
					}
					var out loginOut
					r.want(t, http.StatusOK).decode(t, &out)
					if out.ExpiresIn != tc.want {
						t.Errorf("%s: expiresIn = %d, want %d", how.name, out.ExpiresIn, tc.want)
					}
					e.as(out.Token).Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
				}
			})
		}
	})
}

// TestTenantSwitch: a switch issues a token for another of the caller's
// tenants; other tenants are not found; leaving a tenant voids its tokens.
func TestTenantSwitch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		teamB := e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleResearchers).in(sandboxID, roleUsers))
		alice := e.login(t, "alice", passwordOf("alice"))

		var out loginOut
		alice.Do(t, "POST", fmt.Sprintf("/api/v2/account/tenants/%d/token", sandboxID), switchIn{}).
			want(t, http.StatusOK).decode(t, &out)
		if out.TenantID != sandboxID || out.TenantName != "sandbox" || out.UserName != "alice" || out.ExpiresIn != defaultExpiresIn {
			t.Errorf("switch answer = %+v, want alice in sandbox with the default lifetime", out)
		}
		inSandbox := e.as(out.Token)
		if acc := inSandbox.account(t); acc.SelectedTenant == nil || acc.SelectedTenant.ID != sandboxID {
			t.Errorf("after the switch the selected tenant is %+v, want sandbox", acc.SelectedTenant)
		}
		if acc := alice.account(t); acc.SelectedTenant == nil || acc.SelectedTenant.ID != teamA.ID {
			t.Errorf("the earlier token now selects %+v, want it to stay on team-a", acc.SelectedTenant)
		}

		// Menus follow the token's tenant: researcher in team-a, plain user in sandbox.
		cardNames := func(c *client) []string {
			var names []string
			for _, m := range menuCards(t, c) {
				names = append(names, m.Name)
			}
			return names
		}
		if diff := cmp.Diff([]string{"Data", "Datasets", "Preprocessing", "Notebooks", "Training", "Inference"}, cardNames(alice)); diff != "" {
			t.Errorf("alice's dashboard in team-a (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Data", "Datasets"}, cardNames(inSandbox)); diff != "" {
			t.Errorf("alice's dashboard in sandbox (-want +got):\n%s", diff)
		}

		refusals := map[string]struct {
			path       string
			wantStatus int
		}{
			"a tenant she does not belong to is not found": {fmt.Sprintf("/api/v2/account/tenants/%d/token", teamB.ID), http.StatusNotFound},
			"a tenant that does not exist is not found":    {"/api/v2/account/tenants/999/token", http.StatusNotFound},
			"a tenant id that is not a number is refused":  {"/api/v2/account/tenants/team-b/token", http.StatusBadRequest},
			"a tenant id of zero is refused":               {"/api/v2/account/tenants/0/token", http.StatusBadRequest},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				alice.Do(t, "POST", tc.path, switchIn{}).wantProblem(t, tc.wantStatus)
			})
		}

		t.Run("removal from a tenant voids that tenant's tokens only", func(t *testing.T) {
			var users []tenantUserView
			admin.Do(t, "GET", "/api/v2/tenant/users", nil).want(t, http.StatusOK).decode(t, &users)
			var aliceID int64
			for _, u := range users {
				if u.Name == "alice" {
					aliceID = u.ID
				}
			}
			if aliceID == 0 {
				t.Fatalf("alice is not among sandbox's users %+v", users)
			}
			admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/tenant/users/%d", aliceID), nil).want(t, http.StatusNoContent)
			inSandbox.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
			acc := alice.account(t)
			if diff := tenantRoles(acc.Tenants); len(diff) != 1 || diff["team-a"] == nil {
				t.Errorf("alice's tenants after removal = %v, want team-a only", diff)
			}
			alice.Do(t, "POST", fmt.Sprintf("/api/v2/account/tenants/%d/token", sandboxID), switchIn{}).
				wantProblem(t, http.StatusNotFound)
		})

		t.Run("a deleted tenant's tokens stop working", func(t *testing.T) {
			// admin joins team-b, takes a token there, and the tenant is deleted from sandbox.
			admin.Do(t, "PUT", "/api/v2/admin/users/1", makeUser("").withoutCredentials().system(roleAdmins).
				defaultIn(sandboxID, roleResearchers, roleManagers).in(teamB.ID, roleManagers)).want(t, http.StatusOK)
			inB := admin.switchTo(t, teamB.ID)
			inB.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
			admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/tenants/%d", teamB.ID), nil).want(t, http.StatusOK)
			inB.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
			admin.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		})
	})
}

// TestLoginTenantZero: tenantId 0, which older clients send for "none",
// logs in to the default tenant instead of being refused.
func TestLoginTenantZero(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleUsers).in(sandboxID, roleUsers))
		var out loginOut
		e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: "alice", Password: passwordOf("alice"), TenantID: ptr(int64(0))}).
			want(t, http.StatusOK).decode(t, &out)
		if out.TenantID != teamA.ID {
			t.Errorf("tenantId 0 logged in to tenant %d, want the default %d", out.TenantID, teamA.ID)
		}
	})
}

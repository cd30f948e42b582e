package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAccountSettings: a user's own default tenant, display name and
// webhook; refused values change nothing.
func TestAccountSettings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleResearchers).in(sandboxID, roleUsers))
		alice := e.login(t, "alice", passwordOf("alice"))

		var acc accountOut
		alice.Do(t, "PUT", "/api/v2/account?defaultTenant=sandbox", nil).want(t, http.StatusOK).decode(t, &acc)
		if acc.DefaultTenant == nil || acc.DefaultTenant.Name != "sandbox" {
			t.Errorf("default tenant after the change = %+v, want sandbox", acc.DefaultTenant)
		}
		if got := e.login(t, "alice", passwordOf("alice")).account(t); got.SelectedTenant == nil || got.SelectedTenant.Name != "sandbox" {
			t.Errorf("login after the change selects %+v, want sandbox", got.SelectedTenant)
		}

		alice.Do(t, "PUT", "/api/v2/account/displayName", "Alice Liddell").want(t, http.StatusNoContent)
		if got := alice.account(t).DisplayName; got != "Alice Liddell" {
			t.Errorf("display name %q, want Alice Liddell", got)
		}
		hook := map[string]string{"slackUrl": "https://hooks.example.com/T1", "mention": "alice"}
		alice.Do(t, "PUT", "/api/v2/account/webhook/slack", hook).want(t, http.StatusNoContent)
		var gotHook map[string]string
		alice.Do(t, "GET", "/api/v2/account/webhook/slack", nil).want(t, http.StatusOK).decode(t, &gotHook)
		if diff := cmp.Diff(hook, gotHook); diff != "" {
			t.Errorf("webhook (-want +got):\n%s", diff)
		}

		before := e.state(t, admin)
		refusals := map[string]struct {
			method, path string
			body         any
			wantStatus   int
		}{
			"a default tenant she is not in":       {"PUT", "/api/v2/account?defaultTenant=team-b", nil, http.StatusBadRequest},
			"a default tenant that is not there":   {"PUT", "/api/v2/account?defaultTenant=" + url.QueryEscape("no-such"), nil, http.StatusNotFound},
			"a blank display name":                 {"PUT", "/api/v2/account/displayName", " ", http.StatusBadRequest},
			"a webhook that is not http":           {"PUT", "/api/v2/account/webhook/slack", map[string]string{"slackUrl": "ftp://example.com/x"}, http.StatusBadRequest},
			"a webhook body with an unknown field": {"PUT", "/api/v2/account/webhook/slack", map[string]string{"url": "https://example.com"}, http.StatusBadRequest},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				alice.Do(t, tc.method, tc.path, tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)
	})
}

// TestCurrentTenant: a tenant manager reads and edits the tenant he is
// connected to, and only that one.
func TestCurrentTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleManagers))
		e.createUser(t, admin, makeUser("bob").defaultIn(teamA.ID, roleResearchers))
		alice, bob := e.login(t, "alice", passwordOf("alice")), e.login(t, "bob", passwordOf("bob"))

		var d tenantDetails
		alice.Do(t, "GET", "/api/v2/tenant", nil).want(t, http.StatusOK).decode(t, &d)
		if d.ID != teamA.ID || d.Name != "team-a" {
			t.Errorf("alice's current tenant = %+v, want team-a", d)
		}
		var edited tenantView
		alice.Do(t, "PUT", "/api/v2/tenant", makeTenant("").display("Team A, renamed").gits(1, 2).defaultGit(2)).
			want(t, http.StatusOK).decode(t, &edited)
		if edited.DisplayName != "Team A, renamed" || edited.Name != "team-a" {
			t.Errorf("edited tenant = %+v", edited)
		}
		alice.Do(t, "GET", "/api/v2/tenant", nil).want(t, http.StatusOK).decode(t, &d)
		if diff := cmp.Diff([]int64{1, 2}, d.GitIDs); diff != "" || d.DefaultGitID == nil || *d.DefaultGitID != 2 {
			t.Errorf("gits after the edit: default %v, ids (-want +got):\n%s", d.DefaultGitID, diff)
		}

		before := e.state(t, admin)
		refusals := map[string]struct {
			caller     *client
			method     string
			body       any
			wantStatus int
		}{
			"renaming it":                     {alice, "PUT", makeTenant("sandbox"), http.StatusBadRequest},
			"a storage that is not there":     {alice, "PUT", makeTenant("").storage(99), http.StatusNotFound},
			"a default git not among its own": {alice, "PUT", makeTenant("").gits(1).defaultGit(2), http.StatusConflict},
			"a researcher reading it":         {bob, "GET", nil, http.StatusForbidden},
			"a researcher editing it":         {bob, "PUT", makeTenant(""), http.StatusForbidden},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				r := tc.caller.Do(t, tc.method, "/api/v2/tenant", tc.body)
				r.wantProblem(t, tc.wantStatus)
				if tc.wantStatus == http.StatusForbidden && r.Header.Get("X-Permit-MenuCode") != "TenantSetting" {
					t.Errorf("X-Permit-MenuCode = %q, want TenantSetting", r.Header.Get("X-Permit-MenuCode"))
				}
			})
		}
		e.wantUnchanged(t, admin, before)
	})
}

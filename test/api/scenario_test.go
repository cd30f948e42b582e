package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIssueScript is the scripted run of the issue's "Done when": the
// administrator logs in, creates a tenant and a user with tenant roles; the
// user sees only her tenants and is refused an admin endpoint; weak
// passwords are refused everywhere a password is set.
func TestIssueScript(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var login loginOut
		e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: adminName, Password: adminPassword}).
			want(t, http.StatusOK).decode(t, &login)
		if diff := cmp.Diff(loginOut{UserName: adminName, TenantID: sandboxID, TenantName: "sandbox", ExpiresIn: defaultExpiresIn},
			login, ignoreToken); diff != "" {
			t.Errorf("admin login (-want +got):\n%s", diff)
		}
		admin := e.as(login.Token)

		acc := admin.account(t)
		if acc.SelectedTenant == nil || acc.SelectedTenant.Name != "sandbox" {
			t.Errorf("admin's selected tenant = %+v, want sandbox", acc.SelectedTenant)
		}
		if acc.DefaultTenant == nil || acc.DefaultTenant.Name != "sandbox" {
			t.Errorf("admin's default tenant = %+v, want sandbox", acc.DefaultTenant)
		}
		if !acc.PasswordChangeEnabled {
			t.Errorf("admin is a local user; passwordChangeEnabled = false")
		}
		if diff := cmp.Diff(map[string][]string{"sandbox": {"researchers", "managers"}}, tenantRoles(acc.Tenants)); diff != "" {
			t.Errorf("admin's tenants and roles (-want +got):\n%s", diff)
		}
		var adminUser userView
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/users/%d", acc.UserID), nil).want(t, http.StatusOK).decode(t, &adminUser)
		if diff := cmp.Diff([]string{"admins"}, roleNames(adminUser.SystemRoles)); diff != "" {
			t.Errorf("admin's system roles (-want +got):\n%s", diff)
		}

		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		if teamA.Name != "team-a" || teamA.ID == 0 {
			t.Fatalf("created tenant = %+v, want team-a with an id", teamA)
		}
		var details tenantDetails
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/tenants/%d", teamA.ID), nil).want(t, http.StatusOK).decode(t, &details)
		wantDetails := tenantDetails{ID: teamA.ID, Name: "team-a", DisplayName: teamA.DisplayName, StoragePath: teamA.StoragePath, DefaultGitID: ptr(int64(1)), GitIDs: []int64{1},
			DefaultRegistryID: ptr(int64(1)), RegistryIDs: []int64{1}, StorageID: defaultStorageID}
		if diff := cmp.Diff(wantDetails, details); diff != "" {
			t.Errorf("team-a details (-want +got):\n%s", diff)
		}

		alice := e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleResearchers).in(sandboxID, roleUsers))
		if diff := cmp.Diff(map[string][]string{"team-a": {"researchers"}, "sandbox": {"users"}}, tenantRoles(alice.Tenants)); diff != "" {
			t.Errorf("alice's tenants as created (-want +got):\n%s", diff)
		}

		var aliceLogin loginOut
		e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: "alice", Password: passwordOf("alice")}).
			want(t, http.StatusOK).decode(t, &aliceLogin)
		if aliceLogin.TenantName != "team-a" {
			t.Errorf("alice logged in to %q, want her default tenant team-a", aliceLogin.TenantName)
		}
		asAlice := e.as(aliceLogin.Token)
		aliceAcc := asAlice.account(t)
		if diff := cmp.Diff(map[string][]string{"team-a": {"researchers"}, "sandbox": {"users"}}, tenantRoles(aliceAcc.Tenants)); diff != "" {
			t.Errorf("alice's own view of her tenants (-want +got):\n%s", diff)
		}
		if aliceAcc.SelectedTenant == nil || aliceAcc.SelectedTenant.ID != teamA.ID {
			t.Errorf("alice's selected tenant = %+v, want team-a", aliceAcc.SelectedTenant)
		}

		refused := asAlice.Do(t, "GET", "/api/v2/admin/users", nil)
		refused.wantProblem(t, http.StatusForbidden)
		if got := refused.Header.Get("X-Permit-MenuCode"); got != "User" {
			t.Errorf("X-Permit-MenuCode = %q, want User", got)
		}
		status, keys := e.rawHeaderKeys(t, "GET", "/api/v2/admin/users", aliceLogin.Token)
		if !slices.Contains(keys, "X-Permit-MenuCode") {
			t.Errorf("%s: header names on the wire %q lack the exact spelling X-Permit-MenuCode", status, keys)
		}

		before := e.state(t, admin)
		for _, pw := range []string{"1234567890", "short"} {
			t.Run("password "+pw, func(t *testing.T) {
				admin.Do(t, "POST", "/api/v2/admin/users", makeUser("bob").in(sandboxID, roleUsers).password(pw)).
					wantProblem(t, http.StatusBadRequest)
				admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/users/%d/password", alice.ID), pw).
					wantProblem(t, http.StatusBadRequest)
				asAlice.Do(t, "PUT", "/api/v2/account/password", passwordIn{CurrentPassword: passwordOf("alice"), NewPassword: pw}).
					wantProblem(t, http.StatusBadRequest)
			})
		}
		e.wantUnchanged(t, admin, before)
		// The refused changes left alice's password and token alone.
		asAlice.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK)
		e.login(t, "alice", passwordOf("alice"))
	})
}

var ignoreToken = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Token" }, cmp.Ignore())

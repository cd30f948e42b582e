package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoles: administrators create, edit and delete roles; built-in roles
// only change their sort order and stay; names are unique.
func TestRoles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))

		auditors := e.createRole(t, admin, makeRole("auditors", "Auditor", 50))
		if diff := cmp.Diff(roleView{ID: auditors.ID, Name: "auditors", DisplayName: "Auditor", SortOrder: 50}, auditors); diff != "" {
			t.Errorf("created common tenant role (-want +got):\n%s", diff)
		}
		operators := e.createRole(t, admin, makeRole("operators", "Operator", 110).systemRole())
		if !operators.IsSystemRole || operators.TenantID != nil {
			t.Errorf("created system role = %+v, want a system role of no tenant", operators)
		}
		custom := e.createRole(t, admin, makeRole("labelers", "Labeler", 40).ofTenant(teamA.ID))
		if custom.TenantID == nil || *custom.TenantID != teamA.ID {
			t.Errorf("created custom role = %+v, want one of team-a", custom)
		}

		var edited roleView
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/roles/%d", auditors.ID), makeRole("reviewers", "Reviewer", 55)).
			want(t, http.StatusOK).decode(t, &edited)
		if diff := cmp.Diff(roleView{ID: auditors.ID, Name: "reviewers", DisplayName: "Reviewer", SortOrder: 55}, edited); diff != "" {
			t.Errorf("edited role (-want +got):\n%s", diff)
		}

		var researchers roleView
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/roles/%d", roleResearchers), makeRole("researchers", "Researcher", 25)).
			want(t, http.StatusOK).decode(t, &researchers)
		if researchers.SortOrder != 25 {
			t.Errorf("built-in role's sortOrder = %d after the edit, want 25", researchers.SortOrder)
		}

		before := e.state(t, admin)
		refusals := map[string]struct {
			method, path string
			body         any
			wantStatus   int
		}{
			"renaming a built-in role": {
				"PUT", fmt.Sprintf("/api/v2/admin/roles/%d", roleResearchers), makeRole("scientists", "Researcher", 25), http.StatusBadRequest},
			"changing a built-in role's display name": {
				"PUT", fmt.Sprintf("/api/v2/admin/roles/%d", roleUsers), makeRole("users", "Member", 10), http.StatusBadRequest},
			"turning the system role into a tenant role": {
				"PUT", fmt.Sprintf("/api/v2/admin/roles/%d", roleAdmins), makeRole("admins", "Admin", 100), http.StatusBadRequest},
			"moving a custom role to another tenant": {
				"PUT", fmt.Sprintf("/api/v2/admin/roles/%d", custom.ID), makeRole("labelers", "Labeler", 40).ofTenant(sandboxID), http.StatusBadRequest},
			"creating a role named like a built-in one": {
				"POST", "/api/v2/admin/roles", makeRole("users", "Another user", 60), http.StatusConflict},
			"creating a common role named like a tenant's custom one": {
				"POST", "/api/v2/admin/roles", makeRole("labelers", "Labeler", 60), http.StatusConflict},
			"renaming a role to a taken name": {
				"PUT", fmt.Sprintf("/api/v2/admin/roles/%d", auditors.ID), makeRole("managers", "Reviewer", 55), http.StatusConflict},
			"a system role of a tenant": {
				"POST", "/api/v2/admin/roles", makeRole("tenant-admins", "Tenant admin", 60).systemRole().ofTenant(teamA.ID), http.StatusBadRequest},
			"a role of a tenant that is not there": {
				"POST", "/api/v2/admin/roles", makeRole("ghosts", "Ghost", 60).ofTenant(999), http.StatusNotFound},
			"a role name with a space": {
				"POST", "/api/v2/admin/roles", makeRole("data people", "Data people", 60), http.StatusBadRequest},
			"no display name": {
				"POST", "/api/v2/admin/roles", makeRole("nameless", "", 60), http.StatusBadRequest},
			"no sortOrder": {
				"POST", "/api/v2/admin/roles", makeRole("unsorted", "Unsorted", 0).withoutSortOrder(), http.StatusBadRequest},
			"editing a role that is not there": {
				"PUT", "/api/v2/admin/roles/999", makeRole("ghosts", "Ghost", 60), http.StatusNotFound},
			"deleting a role that is not there": {
				"DELETE", "/api/v2/admin/roles/999", nil, http.StatusNotFound},
		}
		for _, id := range []int64{roleUsers, roleResearchers, roleManagers, roleAdmins} {
			refusals[fmt.Sprintf("deleting built-in role %d", id)] = struct {
				method, path string
				body         any
				wantStatus   int
			}{"DELETE", fmt.Sprintf("/api/v2/admin/roles/%d", id), nil, http.StatusBadRequest}
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, tc.method, tc.path, tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)

		for _, id := range []int64{auditors.ID, operators.ID, custom.ID} {
			admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/roles/%d", id), nil).want(t, http.StatusNoContent)
			admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/roles/%d", id), nil).wantProblem(t, http.StatusNotFound)
		}
	})
}

// TestTenantRoles: a tenant manager keeps custom roles of his tenant, and
// sees and touches no other tenant's.
func TestTenantRoles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		teamB := e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleResearchers, roleManagers))
		e.createUser(t, admin, makeUser("carol").defaultIn(teamB.ID, roleManagers))
		e.createUser(t, admin, makeUser("bob").defaultIn(teamA.ID, roleResearchers))
		alice, carol, bob := e.login(t, "alice", passwordOf("alice")), e.login(t, "carol", passwordOf("carol")), e.login(t, "bob", passwordOf("bob"))

		var labelers roleView
		alice.Do(t, "POST", "/api/v2/tenant/roles", makeRole("labelers", "Labeler", 40)).
			want(t, http.StatusCreated).decode(t, &labelers)
		if labelers.TenantID == nil || *labelers.TenantID != teamA.ID || labelers.IsSystemRole {
			t.Errorf("tenant role = %+v, want a custom role of team-a", labelers)
		}
		// A system role asked for through the tenant endpoint is still a custom tenant role.
		var sneaky roleView
		alice.Do(t, "POST", "/api/v2/tenant/roles", makeRole("sneaky", "Sneaky", 45).systemRole().ofTenant(teamB.ID)).
			want(t, http.StatusCreated).decode(t, &sneaky)
		if sneaky.IsSystemRole || sneaky.TenantID == nil || *sneaky.TenantID != teamA.ID {
			t.Errorf("role asked as system role of team-b = %+v, want a custom role of team-a", sneaky)
		}
		// The same name in another tenant is another role.
		carol.Do(t, "POST", "/api/v2/tenant/roles", makeRole("labelers", "Labeler", 40)).want(t, http.StatusCreated)

		var roles []roleView
		alice.Do(t, "GET", "/api/v2/tenant/roles", nil).want(t, http.StatusOK).decode(t, &roles)
		var names []string
		for _, r := range roles {
			names = append(names, r.Name)
		}
		if diff := cmp.Diff([]string{"users", "researchers", "managers", "labelers", "sneaky"}, names); diff != "" {
			t.Errorf("roles usable in team-a (-want +got):\n%s", diff)
		}

		rolePath := fmt.Sprintf("/api/v2/tenant/roles/%d", labelers.ID)
		before := e.state(t, admin)
		refusals := map[string]struct {
			caller       *client
			method, path string
			body         any
			wantStatus   int
			wantMenu     string
		}{
			"another tenant's manager reading it":   {carol, "GET", rolePath, nil, http.StatusNotFound, ""},
			"another tenant's manager editing it":   {carol, "PUT", rolePath, makeRole("mine", "Mine", 1), http.StatusNotFound, ""},
			"another tenant's manager deleting it":  {carol, "DELETE", rolePath, nil, http.StatusNotFound, ""},
			"a manager reading a common role":       {alice, "GET", fmt.Sprintf("/api/v2/tenant/roles/%d", roleUsers), nil, http.StatusNotFound, ""},
			"a manager editing a common role":       {alice, "PUT", fmt.Sprintf("/api/v2/tenant/roles/%d", roleUsers), makeRole("users", "User", 1), http.StatusNotFound, ""},
			"a manager deleting a built-in role":    {alice, "DELETE", fmt.Sprintf("/api/v2/tenant/roles/%d", roleManagers), nil, http.StatusNotFound, ""},
			"a manager taking a common role's name": {alice, "POST", "/api/v2/tenant/roles", makeRole("researchers", "R", 1), http.StatusConflict, ""},
			"a manager taking a taken custom name":  {alice, "POST", "/api/v2/tenant/roles", makeRole("labelers", "L", 1), http.StatusConflict, ""},
			"a researcher creating a role":          {bob, "POST", "/api/v2/tenant/roles", makeRole("mine", "Mine", 1), http.StatusForbidden, "TenantRole"},
			"a researcher listing roles":            {bob, "GET", "/api/v2/tenant/roles", nil, http.StatusForbidden, "TenantRole,TenantUser"},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				r := tc.caller.Do(t, tc.method, tc.path, tc.body)
				r.wantProblem(t, tc.wantStatus)
				if got := r.Header.Get("X-Permit-MenuCode"); got != tc.wantMenu {
					t.Errorf("X-Permit-MenuCode = %q, want %q", got, tc.wantMenu)
				}
			})
		}
		e.wantUnchanged(t, admin, before)

		t.Run("tenant menus", func(t *testing.T) {
			alice.Do(t, "PUT", fmt.Sprintf("/api/v2/tenant/menus/%d", menuTraining), []int64{roleUsers}).wantProblem(t, http.StatusBadRequest)
			alice.Do(t, "PUT", fmt.Sprintf("/api/v2/tenant/menus/%d", menuTenant), []int64{labelers.ID}).wantProblem(t, http.StatusNotFound)
			alice.Do(t, "PUT", fmt.Sprintf("/api/v2/tenant/menus/%d", menuTraining), []int64{labelers.ID}).want(t, http.StatusOK)
			for who, c := range map[string]*client{"team-a's manager": alice, "team-b's manager": carol} {
				var menus []struct {
					ID    int `json:"id"`
					Roles []struct {
						ID       int64 `json:"id"`
						Editable bool  `json:"editable"`
					} `json:"roles"`
				}
				c.Do(t, "GET", "/api/v2/tenant/menus", nil).want(t, http.StatusOK).decode(t, &menus)
				var got []int64
				for _, m := range menus {
					if m.ID == menuTraining {
						for _, r := range m.Roles {
							got = append(got, r.ID)
						}
					}
				}
				want := []int64{roleResearchers}
				if c == alice {
					want = append(want, labelers.ID)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Training's roles as %s sees them (-want +got):\n%s", who, diff)
				}
			}
		})

		var edited roleView
		alice.Do(t, "PUT", rolePath, makeRole("annotators", "Annotator", 41)).want(t, http.StatusOK).decode(t, &edited)
		if edited.Name != "annotators" || edited.SortOrder != 41 || edited.TenantID == nil || *edited.TenantID != teamA.ID {
			t.Errorf("edited tenant role = %+v", edited)
		}
		alice.Do(t, "DELETE", rolePath, nil).want(t, http.StatusNoContent)
		alice.Do(t, "GET", rolePath, nil).wantProblem(t, http.StatusNotFound)
	})
}

// TestMenus: the role × menu matrix as the administrator sees and edits it,
// and its effect on what a user may open.
func TestMenus(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		var menus []menuView
		admin.Do(t, "GET", "/api/v2/admin/menus?lang=en", nil).want(t, http.StatusOK).decode(t, &menus)
		training := findMenu(t, menus, menuTraining)
		if diff := cmp.Diff(menuView{ID: menuTraining, Name: "Training", MenuType: 2,
			Roles: []menuRole{{ID: roleResearchers, Name: "Researcher"}}}, training); diff != "" {
			t.Errorf("Training in the matrix (-want +got):\n%s", diff)
		}
		if got := findMenu(t, menus, menuTenant); len(got.Roles) != 1 || got.Roles[0].ID != roleAdmins || !got.Roles[0].IsSystemRole {
			t.Errorf("Tenants menu roles = %+v, want the system role Admin only", got.Roles)
		}

		trainers := e.createRole(t, admin, makeRole("trainers", "Trainer", 25))
		e.createUser(t, admin, makeUser("dave").in(sandboxID, trainers.ID))
		dave := e.login(t, "dave", passwordOf("dave"))
		if cards := menuCards(t, dave); len(cards) != 0 {
			t.Errorf("dashboard of a role without menus = %+v, want none", cards)
		}

		before := e.state(t, admin)
		refusals := map[string]struct {
			path       string
			body       any
			wantStatus int
		}{
			"a system role on a tenant menu": {fmt.Sprintf("/api/v2/admin/menus/%d", menuTraining), []int64{roleResearchers, roleAdmins}, http.StatusBadRequest},
			"a tenant role on a system menu": {fmt.Sprintf("/api/v2/admin/menus/%d", menuTenant), []int64{roleAdmins, roleManagers}, http.StatusBadRequest},
			"roles on a menu open to all":    {fmt.Sprintf("/api/v2/admin/menus/%d", menuAccount), []int64{roleUsers}, http.StatusBadRequest},
			"a role that is not there":       {fmt.Sprintf("/api/v2/admin/menus/%d", menuTraining), []int64{999}, http.StatusBadRequest},
			"a menu that is not there":       {"/api/v2/admin/menus/999", []int64{roleUsers}, http.StatusNotFound},
			"admins losing the Menu menu":    {fmt.Sprintf("/api/v2/admin/menus/%d", menuMenu), []int64{}, http.StatusBadRequest},
			"admins losing the User menu":    {fmt.Sprintf("/api/v2/admin/menus/%d", menuUser), []int64{}, http.StatusBadRequest},
			"a menu id that is text":         {"/api/v2/admin/menus/Training", []int64{roleUsers}, http.StatusBadRequest},
			"a body that is not a list":      {fmt.Sprintf("/api/v2/admin/menus/%d", menuTraining), map[string]int{"id": 2}, http.StatusBadRequest},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, "PUT", tc.path, tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)

		var granted menuView
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/menus/%d?lang=en", menuTraining), []int64{roleResearchers, trainers.ID}).
			want(t, http.StatusOK).decode(t, &granted)
		if diff := cmp.Diff([]menuRole{{ID: roleResearchers, Name: "Researcher"}, {ID: trainers.ID, Name: "Trainer"}}, granted.Roles); diff != "" {
			t.Errorf("Training's roles after the grant (-want +got):\n%s", diff)
		}
		// Roles apply at once: dave's token needs no renewal.
		cards := menuCards(t, dave)
		if diff := cmp.Diff([]menuCard{{Name: "Training", URL: "/training", Category: "pl-training"}}, cards); diff != "" {
			t.Errorf("dave's dashboard after the grant (-want +got):\n%s", diff)
		}
		// The grant gives no administration.
		r := dave.Do(t, "GET", "/api/v2/admin/menus", nil)
		r.wantProblem(t, http.StatusForbidden)
		if got := r.Header.Get("X-Permit-MenuCode"); got != "Menu" {
			t.Errorf("X-Permit-MenuCode = %q, want Menu", got)
		}
	})
}

func findMenu(t *testing.T, menus []menuView, id int) menuView {
	t.Helper()
	for _, m := range menus {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("menu %d is not in %+v", id, menus)
	return menuView{}
}

func menuCards(t *testing.T, c *client) []menuCard {
	t.Helper()
	var cards []menuCard
	c.Do(t, "GET", "/api/v2/account/menus/list?lang=en", nil).want(t, http.StatusOK).decode(t, &cards)
	return cards
}

// TestTenantUsers: a tenant manager lists the users of his tenant and sets
// their roles there; he cannot give system roles or remove himself.
func TestTenantUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		teamB := e.createTenant(t, admin, makeTenant("team-b"))
		aliceUser := e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleManagers))
		bobUser := e.createUser(t, admin, makeUser("bob").defaultIn(teamA.ID, roleUsers).in(sandboxID, roleUsers))
		carolUser := e.createUser(t, admin, makeUser("carol").defaultIn(teamB.ID, roleManagers))
		alice, bob := e.login(t, "alice", passwordOf("alice")), e.login(t, "bob", passwordOf("bob"))
		var bRole roleView
		e.login(t, "carol", passwordOf("carol")).Do(t, "POST", "/api/v2/tenant/roles", makeRole("b-only", "B only", 1)).
			want(t, http.StatusCreated).decode(t, &bRole)

		var users []tenantUserView
		alice.Do(t, "GET", "/api/v2/tenant/users", nil).want(t, http.StatusOK).decode(t, &users)
		if diff := cmp.Diff([]tenantUserView{
			{ID: aliceUser.ID, Name: "alice", Roles: []roleInfo{{ID: roleManagers, Name: "managers", DisplayName: "Manager"}}},
			{ID: bobUser.ID, Name: "bob", Roles: []roleInfo{{ID: roleUsers, Name: "users", DisplayName: "User"}}},
		}, users); diff != "" {
			t.Errorf("team-a's users as its manager sees them (-want +got):\n%s", diff)
		}

		var bob2 tenantUserView
		alice.Do(t, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", bobUser.ID), []int64{roleUsers, roleResearchers}).
			want(t, http.StatusOK).decode(t, &bob2)
		if diff := cmp.Diff([]string{"users", "researchers"}, roleNames(bob2.Roles)); diff != "" {
			t.Errorf("bob's roles in team-a (-want +got):\n%s", diff)
		}
		// Only team-a changed: bob is still a plain user in sandbox.
		var bobView userView
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/users/%d", bobUser.ID), nil).want(t, http.StatusOK).decode(t, &bobView)
		if diff := cmp.Diff(map[string][]string{"team-a": {"users", "researchers"}, "sandbox": {"users"}}, tenantRoles(bobView.Tenants)); diff != "" {
			t.Errorf("bob's tenants (-want +got):\n%s", diff)
		}

		before := e.state(t, admin)
		refusals := map[string]struct {
			caller       *client
			method, path string
			body         any
			wantStatus   int
		}{
			"giving the system role":                 {alice, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", bobUser.ID), []int64{roleAdmins}, http.StatusBadRequest},
			"giving another tenant's role":           {alice, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", bobUser.ID), []int64{bRole.ID}, http.StatusBadRequest},
			"giving a role that is not there":        {alice, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", bobUser.ID), []int64{999}, http.StatusBadRequest},
			"setting roles of another tenant's user": {alice, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", carolUser.ID), []int64{roleUsers}, http.StatusNotFound},
			"reading another tenant's user":          {alice, "GET", fmt.Sprintf("/api/v2/tenant/users/%d", carolUser.ID), nil, http.StatusNotFound},
			"removing another tenant's user":         {alice, "DELETE", fmt.Sprintf("/api/v2/tenant/users/%d", carolUser.ID), nil, http.StatusNotFound},
			"removing oneself":                       {alice, "DELETE", fmt.Sprintf("/api/v2/tenant/users/%d", aliceUser.ID), nil, http.StatusBadRequest},
			"a plain user listing the tenant users":  {bob, "GET", "/api/v2/tenant/users", nil, http.StatusForbidden},
			"a plain user setting roles":             {bob, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", bobUser.ID), []int64{roleManagers}, http.StatusForbidden},
		}
		for name, tc := range refusals {
			t.Run(name, func(t *testing.T) {
				r := tc.caller.Do(t, tc.method, tc.path, tc.body)
				r.wantProblem(t, tc.wantStatus)
				if tc.wantStatus == http.StatusForbidden && r.Header.Get("X-Permit-MenuCode") != "TenantUser" {
					t.Errorf("X-Permit-MenuCode = %q, want TenantUser", r.Header.Get("X-Permit-MenuCode"))
				}
			})
		}
		e.wantUnchanged(t, admin, before)

		// bob belongs to sandbox too, so he can leave team-a; alice cannot,
		// team-a being her only tenant.
		alice.Do(t, "DELETE", fmt.Sprintf("/api/v2/tenant/users/%d", bobUser.ID), nil).want(t, http.StatusNoContent)
		alice.Do(t, "GET", fmt.Sprintf("/api/v2/tenant/users/%d", bobUser.ID), nil).wantProblem(t, http.StatusNotFound)
		if acc := e.login(t, "bob", passwordOf("bob")).account(t); acc.SelectedTenant == nil || acc.SelectedTenant.ID != sandboxID {
			t.Errorf("bob, out of his default tenant team-a, logs in to %+v, want sandbox", acc.SelectedTenant)
		}
	})
}

package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeleteTenant: deleting a tenant takes its memberships and custom roles
// with it; its users fall back to another tenant, or to none.
func TestDeleteTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamB := e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("bob").defaultIn(teamB.ID, roleManagers).in(sandboxID, roleUsers))
		e.createUser(t, admin, makeUser("carol").defaultIn(teamB.ID, roleUsers))
		bob := e.login(t, "bob", passwordOf("bob"))
		bRole := e.createRole(t, admin, makeRole("b-only", "B only", 1).ofTenant(teamB.ID))

		var out struct {
			ContainerWarnMsg *string `json:"containerWarnMsg"`
		}
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/tenants/%d", teamB.ID), nil).want(t, http.StatusOK).decode(t, &out)
		if out.ContainerWarnMsg != nil {
			t.Errorf("containerWarnMsg = %q, want null", *out.ContainerWarnMsg)
		}
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/tenants/%d", teamB.ID), nil).wantProblem(t, http.StatusNotFound)
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/roles/%d", bRole.ID), nil).wantProblem(t, http.StatusNotFound)

		bob.Do(t, "GET", "/api/v2/account", nil).wantProblem(t, http.StatusUnauthorized)
		acc := e.login(t, "bob", passwordOf("bob")).account(t)
		if acc.DefaultTenant == nil || acc.DefaultTenant.ID != sandboxID || acc.SelectedTenant == nil || acc.SelectedTenant.ID != sandboxID {
			t.Errorf("bob after his default tenant went: default %+v, selected %+v, want sandbox", acc.DefaultTenant, acc.SelectedTenant)
		}
		if diff := cmp.Diff(map[string][]string{"sandbox": {"users"}}, tenantRoles(acc.Tenants)); diff != "" {
			t.Errorf("bob's tenants (-want +got):\n%s", diff)
		}
		p := e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: "carol", Password: passwordOf("carol")}).
			wantProblem(t, http.StatusBadRequest)
		if p.Title != "You belong no tenant. Please contact the administrator." {
			t.Errorf("carol, left without a tenant, is told %q", p.Title)
		}
		// The name is free again.
		e.createTenant(t, admin, makeTenant("team-b"))
	})
}

// TestNameLimits: the longest names allowed are accepted.
func TestNameLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		long := e.createTenant(t, admin, makeTenant("t"+strings.Repeat("a", 127)).display(strings.Repeat("あ", 256)))
		e.createUser(t, admin, makeUser("u"+strings.Repeat("1", 126)+"z").in(long.ID, roleUsers))
		e.createUser(t, admin, makeUser("first.last@example.com").in(sandboxID, roleUsers))
		e.login(t, "first.last@example.com", passwordOf("first.last@example.com"))
	})
}

// TestConcurrentDuplicates: of many simultaneous creations of one name,
// exactly one succeeds and the others get 409, never 500.
func TestConcurrentDuplicates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		const n = 6
		for _, tc := range []struct {
			what, path string
			body       any
		}{
			{"tenant", "/api/v2/admin/tenants", makeTenant("team-race")},
			{"user", "/api/v2/admin/users", makeUser("racer").in(sandboxID, roleUsers)},
			{"role", "/api/v2/admin/roles", makeRole("racers", "Racer", 5)},
		} {
			t.Run(tc.what, func(t *testing.T) {
				statuses := make([]int, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { statuses[i] = admin.Do(t, "POST", tc.path, tc.body).Status })
				}
				wg.Wait()
				count := map[int]int{}
				for _, s := range statuses {
					count[s]++
				}
				if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, count); diff != "" {
					t.Errorf("statuses of %d simultaneous creations (-want +got):\n%s", n, diff)
				}
			})
		}
	})
}

// TestConcurrentRemovals: two managers removing the same user from their
// two tenants at once cannot leave the user with none: one removal wins;
// a role change at the same time neither fails nor deadlocks.
func TestConcurrentRemovals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		teamB := e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("ann").defaultIn(teamA.ID, roleManagers))
		e.createUser(t, admin, makeUser("ben").defaultIn(teamB.ID, roleManagers))
		const rounds = 5
		for i := range rounds {
			dave := e.createUser(t, admin, makeUser(fmt.Sprintf("dave%d", i)).defaultIn(teamA.ID, roleUsers).in(teamB.ID, roleUsers))
			ann, ben := e.login(t, "ann", passwordOf("ann")), e.login(t, "ben", passwordOf("ben"))
			statuses := make([]int, 2)
			var roleStatus int
			var wg sync.WaitGroup
			for j, c := range []*client{ann, ben} {
				wg.Go(func() { statuses[j] = c.Do(t, "DELETE", fmt.Sprintf("/api/v2/tenant/users/%d", dave.ID), nil).Status })
			}
			// Changing his roles meanwhile waits its turn (it deadlocked once).
			wg.Go(func() {
				roleStatus = ann.Do(t, "PUT", fmt.Sprintf("/api/v2/tenant/users/%d/roles", dave.ID), []int64{roleResearchers}).Status
			})
			wg.Wait()
			if roleStatus != http.StatusOK && roleStatus != http.StatusNotFound {
				t.Errorf("round %d: setting roles meanwhile answered %d, want 200 or 404", i, roleStatus)
			}
			slices.Sort(statuses)
			if want := []int{http.StatusNoContent, http.StatusConflict}; !slices.Equal(statuses, want) {
				t.Errorf("round %d: statuses %v, want %v", i, statuses, want)
			}
			var v userView
			admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/users/%d", dave.ID), nil).want(t, http.StatusOK).decode(t, &v)
			if len(v.Tenants) != 1 {
				t.Errorf("round %d: dave belongs to %d tenants, want 1", i, len(v.Tenants))
			}
		}
	})
}

// TestConcurrentRoleNames: a common role and a tenant's custom role of one
// name created at once: the names clash across scopes, so one must lose.
func TestConcurrentRoleNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		const rounds = 5
		for i := range rounds {
			name := fmt.Sprintf("clash%d", i)
			bodies := []roleIn{makeRole(name, "Common", 1), makeRole(name, "Team", 1).ofTenant(teamA.ID)}
			statuses := make([]int, len(bodies))
			var wg sync.WaitGroup
			for j, b := range bodies {
				wg.Go(func() { statuses[j] = admin.Do(t, "POST", "/api/v2/admin/roles", b).Status })
			}
			wg.Wait()
			slices.Sort(statuses)
			if want := []int{http.StatusCreated, http.StatusConflict}; !slices.Equal(statuses, want) {
				t.Errorf("round %d: statuses %v, want %v", i, statuses, want)
			}
		}
	})
}

package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPagingAndFilters: the original's list conventions on /admin/users and
// /admin/tenants: page, perPage (at most 1000), withTotal → X-Total-Count,
// and the filter mini-language (substring, case-insensitive, ! negates).
func TestPagingAndFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		e.createTenant(t, admin, makeTenant("team-a"))
		e.createTenant(t, admin, makeTenant("team-b"))
		e.createUser(t, admin, makeUser("alice").in(sandboxID, roleUsers))
		e.createUser(t, admin, makeUser("bob").in(sandboxID, roleUsers))

		cases := map[string]struct {
			path      string
			wantNames []string
			wantTotal string // "" = no X-Total-Count header
		}{
			"users, all":                           {"/api/v2/admin/users", []string{"admin", "alice", "bob"}, ""},
			"users, second page of one":            {"/api/v2/admin/users?perPage=1&page=2&withTotal=true", []string{"alice"}, "3"},
			"users, a page past the end":           {"/api/v2/admin/users?perPage=2&page=3&withTotal=true", []string{}, "3"},
			"users, total counts the filtered":     {"/api/v2/admin/users?name=a&perPage=1&withTotal=true", []string{"admin"}, "2"},
			"users, name substring":                {"/api/v2/admin/users?name=li", []string{"alice"}, ""},
			"users, name ignores case":             {"/api/v2/admin/users?name=ALI", []string{"alice"}, ""},
			"users, negated name":                  {"/api/v2/admin/users?name=!a", []string{"bob"}, ""},
			"users, parameter names ignore case":   {"/api/v2/admin/users?Name=bo&PerPage=5", []string{"bob"}, ""},
			"users, withTotal=false sets no total": {"/api/v2/admin/users?withTotal=false", []string{"admin", "alice", "bob"}, ""},
			"tenants, all":                         {"/api/v2/admin/tenants", []string{"sandbox", "team-a", "team-b"}, ""},
			"tenants, second page of one":          {"/api/v2/admin/tenants?perPage=1&page=2&withTotal=true", []string{"team-a"}, "3"},
			"tenants, name substring":              {"/api/v2/admin/tenants?name=team", []string{"team-a", "team-b"}, ""},
			"tenants, negated name":                {"/api/v2/admin/tenants?name=!team", []string{"sandbox"}, ""},
			"tenants, display name":                {"/api/v2/admin/tenants?displayName=b%20team", []string{"team-b"}, ""},
			"users, a page far past the end":       {"/api/v2/admin/users?perPage=2&page=9223372036854775807", []string{}, ""},
			"tenants, 1000 per page is allowed":    {"/api/v2/admin/tenants?perPage=1000&withTotal=true", []string{"sandbox", "team-a", "team-b"}, "3"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				r := admin.Do(t, "GET", tc.path, nil).want(t, http.StatusOK)
				var items []struct {
					Name string `json:"name"`
				}
				r.decode(t, &items)
				got := []string{}
				for _, it := range items {
					got = append(got, it.Name)
				}
				if diff := cmp.Diff(tc.wantNames, got); diff != "" {
					t.Errorf("names (-want +got):\n%s", diff)
				}
				if total := r.Header.Get("X-Total-Count"); total != tc.wantTotal {
					t.Errorf("X-Total-Count = %q, want %q", total, tc.wantTotal)
				}
			})
		}

		refusals := map[string]string{
			"perPage over 1000":     "/api/v2/admin/users?perPage=1001",
			"perPage of zero":       "/api/v2/admin/tenants?perPage=0",
			"page zero":             "/api/v2/admin/users?page=0",
			"a page that is text":   "/api/v2/admin/tenants?page=two",
			"withTotal that is not": "/api/v2/admin/users?withTotal=maybe",
		}
		for name, path := range refusals {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, "GET", path, nil).wantProblem(t, http.StatusBadRequest)
			})
		}
	})
}

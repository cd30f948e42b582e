package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBadBodies: a body the server cannot take gets a clear 4xx with the
// error body, and nothing changes.
func TestBadBodies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		huge := `{"tenantName":"big","displayName":"` + strings.Repeat("x", 1<<20) + `","gitIds":[1],"registryIds":[1],"storageId":1}`
		cases := map[string]struct {
			body       rawBody
			wantStatus int
		}{
			"malformed JSON": {
				body: jsonText(`{"tenantName": "team-a",`), wantStatus: http.StatusBadRequest},
			"JSON of the wrong type": {
				body: jsonText(`{"tenantName": 7, "displayName": "x", "gitIds": [1], "registryIds": [1], "storageId": 1}`), wantStatus: http.StatusBadRequest},
			"an unknown field": {
				body: jsonText(`{"tenantName": "team-a", "displayName": "x", "gitIds": [1], "registryIds": [1], "storageId": 1, "colour": "red"}`), wantStatus: http.StatusBadRequest},
			"data after the JSON value": {
				body: jsonText(`{"tenantName": "team-a", "displayName": "x", "gitIds": [1], "registryIds": [1], "storageId": 1} {}`), wantStatus: http.StatusBadRequest},
			"an empty body": {
				body: jsonText(``), wantStatus: http.StatusBadRequest},
			"a body that is not JSON (text/plain) is an unsupported media type": {
				body:       rawBody{contentType: "text/plain", data: []byte(`{"tenantName": "team-a", "displayName": "x", "gitIds": [1], "registryIds": [1], "storageId": 1}`)},
				wantStatus: http.StatusUnsupportedMediaType},
			"a form is an unsupported media type": {
				body: rawBody{contentType: "application/x-www-form-urlencoded", data: []byte(`tenantName=team-a`)}, wantStatus: http.StatusUnsupportedMediaType},
			"a body over 1 MiB": {
				body: jsonText(huge), wantStatus: http.StatusRequestEntityTooLarge},
		}
		before := e.state(t, admin)
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				admin.Do(t, "POST", "/api/v2/admin/tenants", tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)
	})
}

// TestBadTenants: invalid tenant names (the original's rules, §8), bad
// references and refused deletions; nothing changes.
func TestBadTenants(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		// admin joins team-a too, so that he can be connected to it.
		admin.Do(t, "PUT", "/api/v2/admin/users/1", makeUser("").withoutCredentials().system(roleAdmins).
			defaultIn(sandboxID, roleResearchers, roleManagers).in(teamA.ID, roleManagers)).want(t, http.StatusOK)
		inTeamA := admin.switchTo(t, teamA.ID)

		creates := map[string]struct {
			in         tenantIn
			wantStatus int
		}{
			"a name of 129 characters":       {makeTenant(strings.Repeat("a", 129)), http.StatusBadRequest},
			"an upper-case name":             {makeTenant("Team"), http.StatusBadRequest},
			"a name starting with a hyphen":  {makeTenant("-a"), http.StatusBadRequest},
			"a name ending with a hyphen":    {makeTenant("a-"), http.StatusBadRequest},
			"a name starting with a digit":   {makeTenant("1a"), http.StatusBadRequest},
			"a name with an underscore":      {makeTenant("team_a"), http.StatusBadRequest},
			"a kqi- name":                    {makeTenant("kqi-x"), http.StatusBadRequest},
			"a kube- name":                   {makeTenant("kube-x"), http.StatusBadRequest},
			"the default namespace":          {makeTenant("default"), http.StatusBadRequest},
			"no name":                        {makeTenant(""), http.StatusBadRequest},
			"no display name":                {makeTenant("team-b").display(""), http.StatusBadRequest},
			"a display name of 257 runes":    {makeTenant("team-b").display(strings.Repeat("あ", 257)), http.StatusBadRequest},
			"a name that exists":             {makeTenant("team-a"), http.StatusConflict},
			"sandbox again":                  {makeTenant("sandbox"), http.StatusConflict},
			"no git":                         {makeTenant("team-b").gits(), http.StatusBadRequest},
			"a git that does not exist":      {makeTenant("team-b").gits(1, 99), http.StatusNotFound},
			"a default git not among gits":   {makeTenant("team-b").gits(1).defaultGit(2), http.StatusConflict},
			"no registry":                    {makeTenant("team-b").registries(), http.StatusBadRequest},
			"a registry that does not exist": {makeTenant("team-b").registries(99), http.StatusNotFound},
			"a storage that does not exist":  {makeTenant("team-b").storage(99), http.StatusNotFound},
		}
		before := e.state(t, admin)
		for name, tc := range creates {
			t.Run("create with "+name, func(t *testing.T) {
				admin.Do(t, "POST", "/api/v2/admin/tenants", tc.in).wantProblem(t, tc.wantStatus)
			})
		}

		edits := map[string]struct {
			path       string
			in         tenantIn
			wantStatus int
		}{
			"a rename":                   {fmt.Sprintf("/api/v2/admin/tenants/%d", teamA.ID), makeTenant("team-z"), http.StatusBadRequest},
			"no git":                     {fmt.Sprintf("/api/v2/admin/tenants/%d", teamA.ID), makeTenant("").gits(), http.StatusBadRequest},
			"a tenant that is not there": {"/api/v2/admin/tenants/999", makeTenant(""), http.StatusNotFound},
			"a tenant id that is text":   {"/api/v2/admin/tenants/team-a", makeTenant(""), http.StatusBadRequest},
		}
		for name, tc := range edits {
			t.Run("edit with "+name, func(t *testing.T) {
				admin.Do(t, "PUT", tc.path, tc.in).wantProblem(t, tc.wantStatus)
			})
		}

		deletes := map[string]struct {
			caller     *client
			path       string
			wantStatus int
		}{
			"sandbox":                               {admin, fmt.Sprintf("/api/v2/admin/tenants/%d", sandboxID), http.StatusBadRequest},
			"sandbox, from another tenant":          {inTeamA, fmt.Sprintf("/api/v2/admin/tenants/%d", sandboxID), http.StatusBadRequest},
			"the tenant the caller is connected to": {inTeamA, fmt.Sprintf("/api/v2/admin/tenants/%d", teamA.ID), http.StatusBadRequest},
			"a tenant that is not there":            {admin, "/api/v2/admin/tenants/999", http.StatusNotFound},
			"a tenant id that is text":              {admin, "/api/v2/admin/tenants/abc", http.StatusBadRequest},
			"a negative tenant id":                  {admin, "/api/v2/admin/tenants/-1", http.StatusBadRequest},
		}
		for name, tc := range deletes {
			t.Run("delete "+name, func(t *testing.T) {
				tc.caller.Do(t, "DELETE", tc.path, nil).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)
	})
}

// TestBadUsers: invalid user names (§8), wrong tenant and role ids, a second
// admin, and refused deletions; nothing changes.
func TestBadUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a"))
		root2 := e.createUser(t, admin, makeUser("root2").system(roleAdmins).in(sandboxID, roleUsers))
		asRoot2 := e.login(t, "root2", passwordOf("root2"))
		var teamRole roleView
		admin.Do(t, "POST", "/api/v2/admin/roles", makeRole("labelers", "Labeler", 40).ofTenant(teamA.ID)).
			want(t, http.StatusCreated).decode(t, &teamRole)
		var auditors roleView
		admin.Do(t, "POST", "/api/v2/admin/roles", makeRole("auditors", "Auditor", 50).systemRole()).
			want(t, http.StatusCreated).decode(t, &auditors)

		creates := map[string]struct {
			in         userIn
			wantStatus int
		}{
			"a name starting with a hyphen":      {makeUser("-x").in(sandboxID), http.StatusBadRequest},
			"a name with a space":                {makeUser("a b").in(sandboxID), http.StatusBadRequest},
			"a name ending with a dot":           {makeUser("x.").in(sandboxID), http.StatusBadRequest},
			"a name of 129 characters":           {makeUser(strings.Repeat("u", 129)).in(sandboxID), http.StatusBadRequest},
			"no name":                            {makeUser("").password("carol-pass-1").in(sandboxID), http.StatusBadRequest},
			"a display name of 257 characters":   {userIn{Name: "carol", DisplayName: strings.Repeat("d", 257), Password: "carol-pass-1", Tenants: []userTenantIn{{ID: sandboxID}}}, http.StatusBadRequest},
			"no password":                        {makeUser("carol").password("").in(sandboxID), http.StatusBadRequest},
			"a second admin":                     {makeUser("admin").in(sandboxID), http.StatusConflict},
			"a user that exists":                 {makeUser("root2").in(sandboxID), http.StatusConflict},
			"no tenant":                          {makeUser("carol"), http.StatusBadRequest},
			"a tenant that is not there":         {makeUser("carol").in(999), http.StatusNotFound},
			"a tenant that is not there, second": {makeUser("carol").in(sandboxID, roleUsers).in(999), http.StatusNotFound},
			"the same tenant twice":              {makeUser("carol").in(sandboxID).in(sandboxID), http.StatusBadRequest},
			"two default tenants":                {makeUser("carol").defaultIn(sandboxID).defaultIn(teamA.ID), http.StatusBadRequest},
			"a role that is not there":           {makeUser("carol").in(sandboxID, 99), http.StatusNotFound},
			"a system role as a tenant role":     {makeUser("carol").in(sandboxID, roleAdmins), http.StatusBadRequest},
			"a tenant role as a system role":     {makeUser("carol").system(roleUsers).in(sandboxID), http.StatusBadRequest},
			"another tenant's custom role":       {makeUser("carol").in(sandboxID, teamRole.ID), http.StatusBadRequest},
			"a system role that is not there":    {makeUser("carol").system(99).in(sandboxID), http.StatusNotFound},
			"the weak password 1234567890":       {makeUser("carol").password("1234567890").in(sandboxID), http.StatusBadRequest},
			"the short password short":           {makeUser("carol").password("short").in(sandboxID), http.StatusBadRequest},
			"a password of 257 bytes":            {makeUser("carol").password(strings.Repeat("p", 257)).in(sandboxID), http.StatusBadRequest},
		}
		before := e.state(t, admin)
		for name, tc := range creates {
			t.Run("create with "+name, func(t *testing.T) {
				admin.Do(t, "POST", "/api/v2/admin/users", tc.in).wantProblem(t, tc.wantStatus)
			})
		}

		edits := map[string]struct {
			path       string
			in         userIn
			wantStatus int
		}{
			"admin without a system role":    {"/api/v2/admin/users/1", makeUser("").withoutCredentials().in(sandboxID), http.StatusBadRequest},
			"admin with another system role": {"/api/v2/admin/users/1", makeUser("").withoutCredentials().system(auditors.ID).in(sandboxID), http.StatusBadRequest},
			"no tenant":                      {fmt.Sprintf("/api/v2/admin/users/%d", root2.ID), makeUser("").withoutCredentials().system(roleAdmins), http.StatusBadRequest},
			"a tenant that is not there":     {fmt.Sprintf("/api/v2/admin/users/%d", root2.ID), makeUser("").withoutCredentials().in(sandboxID).in(999), http.StatusNotFound},
			"a user that is not there":       {"/api/v2/admin/users/999", makeUser("").withoutCredentials().in(sandboxID), http.StatusNotFound},
			"a user id that is not a number": {"/api/v2/admin/users/root2", makeUser("").withoutCredentials().in(sandboxID), http.StatusBadRequest},
		}
		for name, tc := range edits {
			t.Run("edit with "+name, func(t *testing.T) {
				admin.Do(t, "PUT", tc.path, tc.in).wantProblem(t, tc.wantStatus)
			})
		}

		others := map[string]struct {
			caller     *client
			method     string
			path       string
			body       any
			wantStatus int
		}{
			"deleting user admin":                   {asRoot2, "DELETE", "/api/v2/admin/users/1", nil, http.StatusBadRequest},
			"deleting user admin as admin":          {admin, "DELETE", "/api/v2/admin/users/1", nil, http.StatusBadRequest},
			"deleting oneself":                      {asRoot2, "DELETE", fmt.Sprintf("/api/v2/admin/users/%d", root2.ID), nil, http.StatusBadRequest},
			"deleting a user that is not there":     {admin, "DELETE", "/api/v2/admin/users/999", nil, http.StatusNotFound},
			"a user id that is text":                {admin, "GET", "/api/v2/admin/users/abc", nil, http.StatusBadRequest},
			"a user id of zero":                     {admin, "GET", "/api/v2/admin/users/0", nil, http.StatusBadRequest},
			"a user id beyond int64":                {admin, "GET", "/api/v2/admin/users/99999999999999999999", nil, http.StatusBadRequest},
			"resetting the password of nobody":      {admin, "PUT", "/api/v2/admin/users/999/password", "nobody-pass-1", http.StatusNotFound},
			"a password reset body that is no text": {admin, "PUT", fmt.Sprintf("/api/v2/admin/users/%d/password", root2.ID), 12345678, http.StatusBadRequest},
			"a blank display name":                  {admin, "PUT", fmt.Sprintf("/api/v2/admin/users/%d/displayName", root2.ID), "  ", http.StatusBadRequest},
			"an unknown path under /api":            {admin.outsideDocument(), "GET", "/api/v2/no-such-thing", nil, http.StatusNotFound},
			"an unknown path, anonymously":          {e.anon().outsideDocument(), "GET", "/api/v3/account", nil, http.StatusNotFound},
			"a method the path does not take":       {admin.outsideDocument(), "DELETE", "/api/v2/account", nil, http.StatusMethodNotAllowed},
			"a method the v1 alias does not take":   {admin.outsideDocument(), "POST", "/api/v1/admin/users/1", nil, http.StatusMethodNotAllowed},
		}
		for name, tc := range others {
			t.Run(name, func(t *testing.T) {
				tc.caller.Do(t, tc.method, tc.path, tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)
		// The refusals left both administrators able to work.
		asRoot2.Do(t, "GET", "/api/v2/admin/users", nil).want(t, http.StatusOK)
	})
}

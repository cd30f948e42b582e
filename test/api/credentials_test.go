package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type gitCredential struct {
	ID          int64  `json:"id"`
	Token       string `json:"token"`
	Name        string `json:"name"`
	ServiceType int    `json:"serviceType"`
}

type gitInfo struct {
	DefaultGitID *int64          `json:"defaultGitId"`
	Gits         []gitCredential `json:"gits"`
}

type registryCredential struct {
	ID          int64  `json:"id"`
	UserName    string `json:"userName"`
	Password    string `json:"password"`
	Name        string `json:"name"`
	ProjectName string `json:"projectName"`
	ServiceType int    `json:"serviceType"`
}

type registryInfo struct {
	DefaultRegistryID *int64               `json:"defaultRegistryId"`
	Registries        []registryCredential `json:"registries"`
}

// TestAccountCredentials: each user's git tokens and registry credentials
// are kept per tenant, shown back to their owner only, and stored encrypted.
func TestAccountCredentials(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		teamA := e.createTenant(t, admin, makeTenant("team-a").gits(1, 2).defaultGit(2).registries(1, 2))
		e.createUser(t, admin, makeUser("alice").defaultIn(teamA.ID, roleResearchers).in(sandboxID, roleUsers))
		e.createUser(t, admin, makeUser("bob").defaultIn(teamA.ID, roleResearchers))
		alice := e.login(t, "alice", passwordOf("alice"))

		var gits gitInfo
		alice.Do(t, "GET", "/api/v2/account/gits", nil).want(t, http.StatusOK).decode(t, &gits)
		wantGits := gitInfo{DefaultGitID: ptr(int64(2)), Gits: []gitCredential{
			{ID: 1, Name: "GitHub", ServiceType: 1}, {ID: 2, Name: "GitLab.com", ServiceType: 3}}}
		if diff := cmp.Diff(wantGits, gits); diff != "" {
			t.Errorf("gits before any token (-want +got):\n%s", diff)
		}

		const token = "ghp_secret-token-of-alice"
		var set gitCredential
		alice.Do(t, "PUT", "/api/v2/account/gits", map[string]any{"id": 1, "token": token}).want(t, http.StatusOK).decode(t, &set)
		if diff := cmp.Diff(gitCredential{ID: 1, Name: "GitHub", ServiceType: 1, Token: token}, set); diff != "" {
			t.Errorf("PUT answer (-want +got):\n%s", diff)
		}
		alice.Do(t, "PUT", "/api/v2/account/registries", map[string]any{"id": 2, "userName": "alice", "password": "ngc-key"}).
			want(t, http.StatusOK)

		alice.Do(t, "GET", "/api/v2/account/gits", nil).want(t, http.StatusOK).decode(t, &gits)
		wantGits.Gits[0].Token = token
		if diff := cmp.Diff(wantGits, gits); diff != "" {
			t.Errorf("gits after the token (-want +got):\n%s", diff)
		}
		var regs registryInfo
		alice.Do(t, "GET", "/api/v2/account/registries", nil).want(t, http.StatusOK).decode(t, &regs)
		wantRegs := registryInfo{DefaultRegistryID: ptr(int64(1)), Registries: []registryCredential{
			{ID: 1, Name: "official-docker-hub", ServiceType: 1},
			{ID: 2, Name: "ngc", ServiceType: 4, UserName: "alice", Password: "ngc-key"}}}
		if diff := cmp.Diff(wantRegs, regs); diff != "" {
			t.Errorf("registries (-want +got):\n%s", diff)
		}

		// Another user of the tenant does not see alice's token.
		var bobs gitInfo
		e.login(t, "bob", passwordOf("bob")).Do(t, "GET", "/api/v2/account/gits", nil).want(t, http.StatusOK).decode(t, &bobs)
		if bobs.Gits[0].Token != "" {
			t.Errorf("bob sees alice's token %q", bobs.Gits[0].Token)
		}
		// In another tenant the same git endpoint has its own (empty) token.
		var inSandbox gitInfo
		alice.switchTo(t, sandboxID).Do(t, "GET", "/api/v2/account/gits", nil).want(t, http.StatusOK).decode(t, &inSandbox)
		if len(inSandbox.Gits) != 1 || inSandbox.Gits[0].Token != "" {
			t.Errorf("sandbox gits = %+v, want GitHub without a token", inSandbox.Gits)
		}

		// At rest the secrets are sealed, never plain text.
		var stored []string
		if err := e.app.DB.SelectContext(context.Background(), &stored,
			`SELECT token_sealed FROM user_git_tokens UNION ALL SELECT password_sealed FROM user_registry_credentials`); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 2 {
			t.Fatalf("stored credentials: %d rows, want 2", len(stored))
		}
		for _, s := range stored {
			if !strings.HasPrefix(s, "v1:") || strings.Contains(s, token) || strings.Contains(s, "ngc-key") {
				t.Errorf("credential stored as %q, want sealed", s)
			}
		}

		before := e.state(t, admin)
		for name, tc := range map[string]struct {
			path       string
			body       any
			wantStatus int
		}{
			"a git the tenant may not use":      {"/api/v2/account/gits", map[string]any{"id": 99, "token": "x"}, http.StatusNotFound},
			"a registry the tenant may not use": {"/api/v2/account/registries", map[string]any{"id": 99}, http.StatusNotFound},
			"an over-long token":                {"/api/v2/account/gits", map[string]any{"id": 1, "token": strings.Repeat("x", 5000)}, http.StatusBadRequest},
			"an unknown field":                  {"/api/v2/account/gits", map[string]any{"id": 1, "secret": "x"}, http.StatusBadRequest},
		} {
			t.Run(name, func(t *testing.T) {
				alice.Do(t, "PUT", tc.path, tc.body).wantProblem(t, tc.wantStatus)
			})
		}
		e.wantUnchanged(t, admin, before)
		alice.Do(t, "GET", "/api/v2/account/gits", nil).want(t, http.StatusOK).decode(t, &gits)
		if diff := cmp.Diff(wantGits, gits); diff != "" {
			t.Errorf("refusals changed the gits (-want +got):\n%s", diff)
		}
	})
}

// TestWebhookTest: the test button posts a Slack-compatible message to a
// receiver on loopback and reports whether it was accepted.
func TestWebhookTest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var got []map[string]string
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var msg map[string]string
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &msg)
			mu.Lock()
			got = append(got, msg)
			mu.Unlock()
			if strings.HasSuffix(r.URL.Path, "/broken") {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
		defer receiver.Close()
		admin := e.admin(t)

		var ok bool
		admin.Do(t, "POST", "/api/v2/account/webhook/slack/test",
			map[string]string{"slackUrl": receiver.URL + "/hook", "mention": "U123"}).want(t, http.StatusOK).decode(t, &ok)
		if !ok {
			t.Error("accepted webhook reported as failed")
		}
		admin.Do(t, "POST", "/api/v2/account/webhook/slack/test",
			map[string]string{"slackUrl": receiver.URL + "/broken"}).want(t, http.StatusOK).decode(t, &ok)
		if ok {
			t.Error("refused webhook reported as accepted")
		}
		mu.Lock()
		if len(got) != 2 || !strings.HasPrefix(got[0]["text"], "<@U123> ") || !strings.Contains(got[0]["text"], "admin") {
			t.Errorf("messages received: %v", got)
		}
		mu.Unlock()
		admin.Do(t, "POST", "/api/v2/account/webhook/slack/test", map[string]string{"slackUrl": ""}).wantProblem(t, http.StatusBadRequest)

		// Internal addresses outside the allowed networks are refused before
		// any connection is made; redirects are not followed.
		port := receiver.URL[strings.LastIndex(receiver.URL, ":"):]
		for _, target := range []string{
			"http://169.254.169.254/latest/meta-data/",
			"http://127.0.0.2" + port + "/hook",
			"http://[::ffff:10.0.0.1]/hook",
			"http://0.0.0.0" + port + "/hook",
		} {
			p := admin.Do(t, "POST", "/api/v2/account/webhook/slack/test", map[string]string{"slackUrl": target}).
				wantProblem(t, http.StatusBadRequest)
			if !strings.Contains(p.Title, "internal address") || strings.ContainsAny(p.Title+p.Detail, "0123456789") {
				t.Errorf("%s: %q, %q: must say why without naming the address", target, p.Title, p.Detail)
			}
		}
		redirector := httptest.NewServer(http.RedirectHandler(receiver.URL+"/hook", http.StatusFound))
		defer redirector.Close()
		admin.Do(t, "POST", "/api/v2/account/webhook/slack/test",
			map[string]string{"slackUrl": redirector.URL}).want(t, http.StatusOK).decode(t, &ok)
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if ok || n != 2 {
			t.Errorf("a redirecting webhook: ok=%v, receiver got %d messages; want false and 2 (not followed)", ok, n)
		}
	})
}

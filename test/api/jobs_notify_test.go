package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestJobEndNotification: the user who started a job gets a Slack-compatible
// message when it ends, with its outcome and a link to it.
func TestJobEndNotification(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		got := make(chan string, 4)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var msg map[string]string
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &msg)
			got <- msg["text"]
		}))
		defer receiver.Close()
		e := newJobEnv(t, e0.engine, map[string]string{"fail.sh": "echo bad; exit 2"})
		e.admin.Do(t, "PUT", "/api/v2/account/webhook/slack", map[string]string{"slackUrl": receiver.URL + "/hook",
			"mention": "U42"}).want(t, http.StatusNoContent)
		var j jobOut
		e.admin.Do(t, "POST", "/api/v2/training/run", makeRun("will-fail", e.dataset, "bash fail.sh")).
			want(t, http.StatusCreated).decode(t, &j)
		ended := e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", j.ID), "Killed")
		if ended.ExitCode == nil || *ended.ExitCode != 2 {
			t.Errorf("exit code = %v, want 2", ended.ExitCode)
		}
		select {
		case text := <-got:
			for _, want := range []string{"<@U42>", fmt.Sprintf("training %d", j.ID), "will-fail", "Killed",
				fmt.Sprintf("/training/%d", j.ID)} {
				if !strings.Contains(text, want) {
					t.Errorf("notification %q lacks %q", text, want)
				}
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no notification arrived for the ended job")
		}
	})
}

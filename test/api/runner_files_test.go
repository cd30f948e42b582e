package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestRunnerFileUpload: the endpoint the Kubernetes runner's finish uses
// with S3 storage (PUT /runner/jobs/{key}/files/{area}/{path}) stores a
// file in the job's attach or output area for that job's own token only.
// The job here is a real one on the local runner, which calls the
// endpoint with curl and its KQI_TOKEN, as finish does from a pod.
func TestRunnerFileUpload(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"up.sh": `put() {
  curl -s -o /dev/null -w "$1 %{http_code}\n" -X PUT --data-binary "$2" -H "Authorization: Bearer $KQI_TOKEN" \
    -H 'Content-Type: application/octet-stream' "$KQI_SERVER/api/v2/runner/jobs/$3"
}
put own 'stored by the job' "training-$TRAINING_ID/files/attach/uploaded.txt"
put output 'a result' "training-$TRAINING_ID/files/output/results/r.txt"
put other x "training-999999/files/attach/x.txt"
put area x "training-$TRAINING_ID/files/elsewhere/x.txt"
put escape x "training-$TRAINING_ID/files/attach/..%2F..%2Fx.txt"
`})
		var tr jobOut
		e.admin.Do(t, "POST", "/api/v2/training/run", makeRun("up", e.dataset, "bash up.sh")).
			want(t, http.StatusCreated).decode(t, &tr)
		e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", tr.ID), "Completed")
		log := e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/log", tr.ID), nil).want(t, http.StatusOK).Body
		for _, want := range []string{"own 201", "output 201", "other 403", "area 400", "escape 400"} {
			if !strings.Contains(string(log), want) {
				t.Errorf("the job's uploads: want %q in\n%s", want, log)
			}
		}
		var files []struct {
			FileName string `json:"fileName"`
		}
		e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/files", tr.ID), nil).want(t, http.StatusOK).decode(t, &files)
		if !strings.Contains(fmt.Sprint(files), "uploaded.txt") {
			t.Errorf("attached files %v lack the uploaded file", files)
		}
		var listing struct {
			Files []struct {
				FileName string `json:"fileName"`
			} `json:"files"`
		}
		e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/container-files?path=results", tr.ID), nil).
			want(t, http.StatusOK).decode(t, &listing)
		if len(listing.Files) != 1 || listing.Files[0].FileName != "r.txt" {
			t.Errorf("output results/ = %+v, want r.txt", listing.Files)
		}
		// Any other token is refused, an administrator's too.
		e.admin.outsideDocument().Do(t, "PUT", fmt.Sprintf("/api/v2/runner/jobs/training-%d/files/attach/x.txt", tr.ID),
			rawBody{contentType: "application/octet-stream", data: []byte("x")}).wantProblem(t, http.StatusForbidden)
	})
}

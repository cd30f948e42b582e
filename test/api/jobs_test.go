package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestJobScript is issue 4's "Done when": a training from a local git
// repository and a dataset completes with its log and output; another one
// is canceled and its processes are gone; an inference with the training as
// parent reads the parent's output.
func TestJobScript(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		base := t.TempDir()
		commit := gitRepo(t, base, "team", "model", map[string]string{
			"train.sh": `set -e
echo "epoch 1: $(cat "$KQI_INPUT_DIR"/training/*/digits.csv | wc -l) rows"
mkdir -p "$KQI_OUTPUT_DIR/checkpoints"
echo weights > "$KQI_OUTPUT_DIR/checkpoints/model.pt"
echo "lr=$LR dataset=$DATASET_ID training=$TRAINING_ID"
`,
			"infer.sh": `cat "$KQI_PARENT_DIR/checkpoints/model.pt" > "$KQI_OUTPUT_DIR/value.txt"`,
		})
		gitID := e.addGit(t, admin, base)
		d := admin.createData(t, dataIn{Name: "digits"})
		up := admin.stream(t, "digits.csv", []byte("1,2\n3,4\n5,6\n"))
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), map[string]any{
			"files": []map[string]any{{"fileName": "digits.csv", "storedPath": up.StoredPath}}}).want(t, http.StatusCreated)
		var ds struct {
			ID int64 `json:"id"`
		}
		admin.Do(t, "POST", "/api/v2/datasets", map[string]any{"name": "digits-set",
			"entries": map[string]any{"training": []map[string]int64{{"id": d.ID}}}}).want(t, http.StatusCreated).decode(t, &ds)

		// A training that completes.
		in := makeRun("first", ds.ID, "bash train.sh")
		in.Options, in.Tags, in.Zip = map[string]string{"LR": "0.1"}, []string{"baseline"}, true
		var tr jobOut
		admin.Do(t, "POST", "/api/v2/training/run", in).want(t, http.StatusCreated).decode(t, &tr)
		if tr.GitModel.CommitID != commit {
			t.Errorf("commit = %q, want the branch head %q", tr.GitModel.CommitID, commit)
		}
		done := admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", tr.ID), "Completed", "Killed", "Failed")
		log := admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/log", tr.ID), nil).want(t, http.StatusOK).Body
		if done.Status != "Completed" {
			t.Fatalf("training ended %s (%s); log:\n%s", done.Status, done.ConditionNote, log)
		}
		for _, want := range []string{"epoch 1: 3 rows", fmt.Sprintf("lr=0.1 dataset=%d training=%d", ds.ID, tr.ID)} {
			if !strings.Contains(string(log), want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		var listing struct {
			Dirs []struct {
				DirName string `json:"dirName"`
			} `json:"dirs"`
			Files []struct {
				FileName string `json:"fileName"`
				URL      string `json:"url"`
			} `json:"files"`
		}
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/container-files?path=checkpoints&withUrl=true", tr.ID), nil).
			want(t, http.StatusOK).decode(t, &listing)
		if len(listing.Files) != 1 || listing.Files[0].FileName != "model.pt" {
			t.Fatalf("checkpoints/ = %+v, want model.pt", listing.Files)
		}
		if code, body := e.fetch(t, listing.Files[0].URL); code != http.StatusOK || string(body) != "weights\n" {
			t.Errorf("download model.pt: %d %q", code, body)
		}
		var files []struct {
			FileName string `json:"fileName"`
			Key      string `json:"key"`
		}
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/files", tr.ID), nil).want(t, http.StatusOK).decode(t, &files)
		names := map[string]bool{}
		for _, f := range files {
			names[f.FileName] = true
		}
		for _, want := range []string{fmt.Sprintf("training_stdout_stderr_%d.log", tr.ID), fmt.Sprintf("training_output_%d.zip", tr.ID)} {
			if !names[want] {
				t.Errorf("attached files %v lack %s", files, want)
			}
		}
		var locked struct {
			IsLocked bool `json:"isLocked"`
		}
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/datasets/%d", ds.ID), nil).want(t, http.StatusOK).decode(t, &locked)
		if !locked.IsLocked {
			t.Errorf("the dataset a training used is not locked")
		}

		// A training that is canceled: its processes are gone.
		marker := fmt.Sprintf("kqi-cancel-%d", time.Now().UnixNano())
		var long jobOut
		admin.Do(t, "POST", "/api/v2/training/run", makeRun("long", ds.ID, "sleep 600 # "+marker)).
			want(t, http.StatusCreated).decode(t, &long)
		admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", long.ID), "Running")
		streamed := make(chan string, 1)
		go func() { streamed <- e.readStream(t, admin, fmt.Sprintf("/api/v2/training/%d/log/stream", long.ID)) }()
		admin.Do(t, "POST", fmt.Sprintf("/api/v2/training/%d/user-cancel", long.ID), nil).want(t, http.StatusOK)
		canceled := admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", long.ID), "UserCanceled")
		if canceled.StatusType != "Closed" {
			t.Errorf("statusType = %s, want Closed", canceled.StatusType)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(processesWith(marker)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if ps := processesWith(marker); len(ps) > 0 {
			t.Errorf("processes of the canceled training still run: %v", ps)
		}
		select {
		case s := <-streamed:
			if !strings.Contains(s, "event: end") {
				t.Errorf("the log stream of the canceled job did not end with an end event:\n%s", s)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("the log stream did not end after the cancel")
		}

		// An inference reads its parent's output.
		inf := makeRun("infer", ds.ID, "bash infer.sh")
		inf.ParentIDs = []int64{tr.ID}
		var ij jobOut
		admin.Do(t, "POST", "/api/v2/inferences/run", inf).want(t, http.StatusCreated).decode(t, &ij)
		ended := admin.waitJob(t, fmt.Sprintf("/api/v2/inferences/%d", ij.ID), "Completed", "Killed", "Failed")
		if ended.Status != "Completed" || ended.OutputValue != "weights" {
			ilog := admin.Do(t, "GET", fmt.Sprintf("/api/v2/inferences/%d/log", ij.ID), nil).Body
			t.Errorf("inference %s (%s), value %q, want Completed and the parent's weights; log:\n%s", ended.Status, ended.ConditionNote, ended.OutputValue, ilog)
		}
		// The parent cannot be deleted while the inference uses it.
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/training/%d", tr.ID), nil).wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/inferences/%d", ij.ID), nil).want(t, http.StatusNoContent)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/training/%d", tr.ID), nil).want(t, http.StatusNoContent)
		_ = gitID
	})
}

// readStream reads a Server-Sent Events stream to its end.
func (e *env) readStream(t *testing.T, c *client, path string) string {
	req, err := http.NewRequest("GET", e.url+path, nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := e.http.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		sb.WriteString(sc.Text() + "\n")
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return sb.String()
}

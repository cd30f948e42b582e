package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestPreprocessing: a definition runs once per data; each sub-directory of
// its output becomes a data tagged with the preprocessing's name and the
// input's tags, with the input as parent; a definition that ran is frozen.
func TestPreprocessing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"prep.sh": `set -e
for d in part-a part-b; do mkdir -p "$KQI_OUTPUT_DIR/$d/nested"; cat "$KQI_INPUT_DIR/$DATA_ID/a.txt" > "$KQI_OUTPUT_DIR/$d/nested/x.txt"; done
echo ignored > "$KQI_OUTPUT_DIR/top.txt"
echo "tags=$TAGS name=$DATA_NAME"`})
		var def struct {
			ID       int64 `json:"id"`
			IsLocked bool  `json:"isLocked"`
		}
		body := map[string]any{"name": "resize", "entryPoint": "bash prep.sh",
			"containerImage": map[string]any{"image": "python", "tag": "3.12"},
			"gitModel":       map[string]any{"owner": "team", "repository": "model", "branch": "master"}, "cpu": 1, "memory": 1}
		e.admin.Do(t, "POST", "/api/v2/preprocessings", body).want(t, http.StatusCreated).decode(t, &def)
		run := map[string]any{"dataId": e.data, "cpu": 1, "memory": 1, "gpu": 0}
		var h struct {
			ID            int64   `json:"id"`
			Status        string  `json:"status"`
			ConditionNote string  `json:"conditionNote"`
			OutputDataIDs []int64 `json:"outputDataIds"`
		}
		e.admin.Do(t, "POST", fmt.Sprintf("/api/v2/preprocessings/%d/run", def.ID), run).want(t, http.StatusCreated).decode(t, &h)
		path := fmt.Sprintf("/api/v2/preprocessings/%d/histories/%d", def.ID, e.data)
		for i := 0; i < 1200 && h.Status != "Completed" && h.Status != "Killed" && h.Status != "Failed"; i++ {
			e.admin.Do(t, "GET", path, nil).want(t, http.StatusOK).decode(t, &h)
			if i > 0 {
				sleep50()
			}
		}
		if h.Status != "Completed" || len(h.OutputDataIDs) != 2 {
			t.Fatalf("history %s (%s), outputs %v; want Completed with two data", h.Status, h.ConditionNote, h.OutputDataIDs)
		}
		for _, id := range h.OutputDataIDs {
			var d struct {
				Name         string   `json:"name"`
				Tags         []string `json:"tags"`
				ParentDataID *int64   `json:"parentDataId"`
			}
			e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d", id), nil).want(t, http.StatusOK).decode(t, &d)
			if !slices.Contains(d.Tags, "resize") || !slices.Contains(d.Tags, "camera") {
				t.Errorf("output data %s tags %v, want resize and camera", d.Name, d.Tags)
			}
			files := e.admin.files(t, id)
			if len(files) != 1 || files[0].FileName != "nested/x.txt" {
				t.Errorf("output data %s files %v, want nested/x.txt", d.Name, fileNames(files))
			}
		}
		// Once per data; a definition that ran cannot be replaced or deleted.
		e.admin.Do(t, "POST", fmt.Sprintf("/api/v2/preprocessings/%d/run", def.ID), run).wantProblem(t, http.StatusConflict)
		e.admin.Do(t, "PUT", fmt.Sprintf("/api/v2/preprocessings/%d", def.ID), body).wantProblem(t, http.StatusConflict)
		e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/preprocessings/%d", def.ID), nil).wantProblem(t, http.StatusConflict)
		e.admin.Do(t, "PATCH", fmt.Sprintf("/api/v2/preprocessings/%d", def.ID), map[string]any{"memo": "v2"}).want(t, http.StatusOK)
		// Deleting the history removes its data, and the data can be processed again.
		e.admin.Do(t, "DELETE", path, nil).want(t, http.StatusNoContent)
		for _, id := range h.OutputDataIDs {
			e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/data/%d", id), nil).wantProblem(t, http.StatusNotFound)
		}
		e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/preprocessings/%d", def.ID), nil).want(t, http.StatusNoContent)
	})
}

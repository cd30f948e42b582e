package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestTrainingTagsSearchAndEdit: edits, bulk tags, the list filters, the
// advanced search and saved conditions.
func TestTrainingTagsSearchAndEdit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"ok.sh": "echo ok"})
		var ids []int64
		for _, name := range []string{"resnet-a", "resnet-b", "vit-c"} {
			var j jobOut
			e.admin.Do(t, "POST", "/api/v2/training/run", makeRun(name, e.dataset, "bash ok.sh")).
				want(t, http.StatusCreated).decode(t, &j)
			ids = append(ids, j.ID)
			e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", j.ID), "Completed")
		}
		var edited jobOut
		e.admin.Do(t, "PUT", fmt.Sprintf("/api/v2/training/%d", ids[2]), map[string]any{"memo": "transformer",
			"favorite": true, "tags": []string{"vision"}}).want(t, http.StatusOK).decode(t, &edited)
		if !slices.Equal(edited.Tags, []string{"vision"}) {
			t.Errorf("tags after edit = %v", edited.Tags)
		}
		e.admin.Do(t, "POST", "/api/v2/training/tags", map[string]any{"id": ids[:2], "tags": []string{"cnn", "vision"}}).
			want(t, http.StatusNoContent)
		e.admin.Do(t, "DELETE", "/api/v2/training/tags", map[string]any{"id": ids[:1], "tags": []string{"vision"}}).
			want(t, http.StatusNoContent)
		e.admin.Do(t, "POST", "/api/v2/training/tags", map[string]any{"id": []int64{9999}, "tags": []string{"x"}}).
			wantProblem(t, http.StatusNotFound)
		e.admin.Do(t, "POST", "/api/v2/training/tags", map[string]any{"id": ids[:1], "tags": []string{"!bad"}}).
			wantProblem(t, http.StatusBadRequest)
		var tags []string
		e.admin.Do(t, "GET", "/api/v2/training/tags", nil).want(t, http.StatusOK).decode(t, &tags)
		if !slices.Equal(tags, []string{"cnn", "vision"}) {
			t.Errorf("tenant training tags = %v, want cnn and vision", tags)
		}
		names := func(path string) []string {
			var js []jobOut
			e.admin.Do(t, "GET", path, nil).want(t, http.StatusOK).decode(t, &js)
			var out []string
			for _, j := range js {
				out = append(out, j.Name)
			}
			slices.Sort(out)
			return out
		}
		for path, want := range map[string][]string{
			"/api/v2/training?tag=vision":                             {"resnet-b", "vit-c"},
			"/api/v2/training?Name=resnet&tag=!vision":                {"resnet-a"},
			"/api/v2/training/search?name=resnet+vit&nameOr=true":     {"resnet-a", "resnet-b", "vit-c"},
			"/api/v2/training/search?name=resnet&tags=vision":         {"resnet-b"},
			"/api/v2/training/search?memo=transformer":                {"vit-c"},
			fmt.Sprintf("/api/v2/training/search?idLower=%d", ids[1]): {"resnet-b", "vit-c"},
		} {
			if got := names(path); !slices.Equal(got, want) {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		e.admin.Do(t, "GET", "/api/v2/training/search?startedAtLower=yesterday", nil).wantProblem(t, http.StatusBadRequest)

		var saved struct {
			ID int64 `json:"id"`
		}
		e.admin.Do(t, "POST", "/api/v2/training/search-history", map[string]any{"name": "abc"}).
			wantProblem(t, http.StatusBadRequest)
		e.admin.Do(t, "POST", "/api/v2/training/search-history", map[string]any{"name": "resnets",
			"searchDetailInputModel": map[string]any{"name": "resnet"}}).want(t, http.StatusCreated).decode(t, &saved)
		var list []struct {
			Name         string `json:"name"`
			SearchDetail struct {
				Name string `json:"name"`
			} `json:"searchDetail"`
		}
		e.admin.Do(t, "GET", "/api/v2/training/search-history", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list) != 1 || list[0].Name != "resnets" || list[0].SearchDetail.Name != "resnet" {
			t.Errorf("saved searches = %+v", list)
		}
		e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/training/search-history/%d", saved.ID), nil).want(t, http.StatusNoContent)
		e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/training/search-history/%d", saved.ID), nil).wantProblem(t, http.StatusNotFound)

		// A git server that jobs ran from cannot be deleted, even once no
		// tenant offers it.
		e.admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/tenants/%d", sandboxID), tenantIn{DisplayName: "sandbox",
			GitIDs: []int64{1}, DefaultGitID: ptr(int64(1)), RegistryIDs: []int64{1}, DefaultRegistryID: ptr(int64(1)),
			StorageID: defaultStorageID}).want(t, http.StatusOK)
		p := e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/git/endpoints/%d", e.git), nil).wantProblem(t, http.StatusConflict)
		if !strings.Contains(p.Title, "training") {
			t.Errorf("refusal %q does not name the trainings", p.Title)
		}
	})
}

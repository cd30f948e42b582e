package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

type storageIn struct {
	Name      string `json:"name"`
	ServerURL string `json:"serverUrl,omitempty"`
	AccessKey string `json:"accessKey,omitempty"`
	SecretKey string `json:"secretKey,omitempty"`
	NfsServer string `json:"nfsServer,omitempty"`
	NfsRoot   string `json:"nfsRoot,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Directory string `json:"directory,omitempty"`
}

type storageView struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	ServerURL  string `json:"serverUrl"`
	Directory  string `json:"directory"`
	Configured bool   `json:"configured"`
	AccessKey  string `json:"accessKey"`
	SecretKey  string `json:"secretKey"`
}

// TestStorageEndpoints: administrators add storages, tenants created on
// them keep their files there, and storages in use cannot go.
func TestStorageEndpoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.admin(t)
		var list []storageView
		admin.Do(t, "GET", "/api/v2/admin/storage/endpoints", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list) != 1 || list[0].ID != 1 || !list[0].Configured || list[0].Directory == "" {
			t.Fatalf("storages = %+v, want the configured directory storage 1", list)
		}

		dir := t.TempDir()
		var nfs storageView
		admin.Do(t, "POST", "/api/v2/admin/storage/endpoints", storageIn{Name: "nfs-a", Directory: dir, NfsServer: "storage", NfsRoot: "/export/kqi"}).
			want(t, http.StatusCreated).decode(t, &nfs)

		t.Run("bad storages are refused", func(t *testing.T) {
			for name, in := range map[string]storageIn{
				"no name":           {Directory: dir},
				"neither":           {Name: "x"},
				"both":              {Name: "x", Directory: dir, ServerURL: "http://127.0.0.1:1"},
				"relative dir":      {Name: "x", Directory: "relative/path"},
				"s3 without keys":   {Name: "x", ServerURL: "http://127.0.0.1:1"},
				"not a URL":         {Name: "x", ServerURL: "ftp://host", AccessKey: "a", SecretKey: "b"},
				"configured fields": {Name: "default", Directory: dir},
			} {
				path := "/api/v2/admin/storage/endpoints"
				method := "POST"
				if name == "configured fields" {
					method, path = "PUT", path+"/1"
				}
				admin.Do(t, method, path, in).wantProblem(t, http.StatusBadRequest)
			}
			admin.Do(t, "POST", "/api/v2/admin/storage/endpoints", storageIn{Name: "nfs-a", Directory: t.TempDir()}).
				wantProblem(t, http.StatusConflict)
		})

		// A tenant on the new storage keeps its files in that directory.
		team := e.createTenant(t, admin, makeTenant("team-n").storage(nfs.ID))
		if _, err := os.Stat(filepath.Join(dir, "team-n")); err != nil {
			t.Errorf("creating the tenant did not prepare its directory: %v", err)
		}
		carol := e.createUser(t, admin, makeUser("carol").defaultIn(team.ID, roleResearchers))
		cc := e.login(t, carol.Name, passwordOf(carol.Name))
		d := cc.createData(t, dataIn{Name: "on nfs"})
		up := cc.stream(t, "n.txt", []byte("on the other storage"))
		cc.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), addFilesIn{Files: []addFile{{FileName: "n.txt", StoredPath: up.StoredPath}}}).
			want(t, http.StatusCreated)
		if b, err := os.ReadFile(filepath.Join(dir, "team-n", "Data", up.StoredPath)); err != nil || string(b) != "on the other storage" {
			t.Errorf("file on the tenant's storage: %q, %v", b, err)
		}
		if status, body := e.fetch(t, cc.files(t, d.ID)[0].URL); status != http.StatusOK || string(body) != "on the other storage" {
			t.Errorf("download from the tenant's storage: %d %q", status, body)
		}
		// The tenant has files there: it cannot be moved away, and the storage cannot go.
		admin.Do(t, "PUT", fmt.Sprintf("/api/v2/admin/tenants/%d", team.ID), makeTenant("team-n").storage(1)).
			wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/storage/endpoints/%d", nfs.ID), nil).wantProblem(t, http.StatusConflict)
		admin.Do(t, "DELETE", "/api/v2/admin/storage/endpoints/1", nil).wantProblem(t, http.StatusConflict)

		if e.engine == testenv.SQLite && len(testenv.Storages(t)) > 1 {
			s3 := testenv.S3Server(t)
			bucket := testenv.UniqueBucket(t)
			var st storageView
			admin.Do(t, "POST", "/api/v2/admin/storage/endpoints", storageIn{Name: "s3-a", ServerURL: s3.Endpoint,
				AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Bucket: bucket}).want(t, http.StatusCreated).decode(t, &st)
			var got storageView
			admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/storage/endpoints/%d", st.ID), nil).want(t, http.StatusOK).decode(t, &got)
			if got.AccessKey != s3.AccessKey || got.SecretKey != "" {
				t.Errorf("storage details show access key %q and secret %q, want the key and no secret", got.AccessKey, got.SecretKey)
			}
			admin.Do(t, "POST", "/api/v2/admin/storage/endpoints", storageIn{Name: "s3-bad", ServerURL: s3.Endpoint,
				AccessKey: s3.AccessKey, SecretKey: "wrong-secret", Bucket: bucket}).wantProblem(t, http.StatusBadRequest)
			admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/admin/storage/endpoints/%d", st.ID), nil).want(t, http.StatusNoContent)
		}
	})
}

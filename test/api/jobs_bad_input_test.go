package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// jobEnv is a server with a git repository, a dataset and a machine of 4
// CPUs, 8 GiB and 2 (pretended) GPUs.
type jobEnv struct {
	*env
	admin   *client
	dataset int64
	data    int64
	commit  string
	git     int64
}

func newJobEnv(t *testing.T, engine string, files map[string]string) jobEnv {
	return setupJobs(t, newEnvWith(t, engine, "dir", func(c *config.Config) { c.RunnerCPU, c.RunnerMemory, c.GPUs = 4, 8, "2" }),
		files)
}

// setupJobs gives server e a git repository of files, a data and a dataset.
func setupJobs(t *testing.T, e *env, files map[string]string) jobEnv {
	admin := e.admin(t)
	base := t.TempDir()
	commit := gitRepo(t, base, "team", "model", files)
	gitID := e.addGit(t, admin, base)
	d := admin.createData(t, dataIn{Name: "raw", Tags: []string{"camera"}})
	up := admin.stream(t, "a.txt", []byte("hello\n"))
	admin.Do(t, "POST", fmt.Sprintf("/api/v2/data/%d/files", d.ID), map[string]any{
		"files": []map[string]any{{"fileName": "a.txt", "storedPath": up.StoredPath}}}).want(t, http.StatusCreated)
	var ds struct {
		ID int64 `json:"id"`
	}
	admin.Do(t, "POST", "/api/v2/datasets", map[string]any{"name": "set", "isFlat": true,
		"flatEntries": []map[string]int64{{"id": d.ID}}}).want(t, http.StatusCreated).decode(t, &ds)
	return jobEnv{env: e, admin: admin, dataset: ds.ID, data: d.ID, commit: commit, git: gitID}
}

// TestRunRefusals: every bad run request is refused with the error body
// and leaves no job behind.
func TestRunRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"run.sh": "echo hi"})
		other := e.createTenant(t, e.admin, makeTenant("team-b"))
		foreign, err := e.app.DB.Q().InsertJob(context.Background(), store.Job{TenantID: other.ID, Kind: "training",
			DisplayID: 1, Name: "theirs", Status: "KQI-Completed", Options: "{}", Ports: "[]"}, "bob", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]struct {
			edit   func(*runIn)
			status int
			says   string
		}{
			"unknown dataset":          {func(r *runIn) { r.DataSetID = 999 }, 404, "dataset 999"},
			"parent of another tenant": {func(r *runIn) { r.ParentIDs = []int64{foreign} }, 404, "parent"},
			"nonexistent branch":       {func(r *runIn) { r.GitModel["branch"] = "nope" }, 404, "nope"},
			"nonexistent commit": {func(r *runIn) { r.GitModel["commitId"] = strings.Repeat("ab", 20) },
				404, "abab"},
			"invalid environment names": {func(r *runIn) { r.Options = map[string]string{"1BAD": "x", "A B": "y"} }, 400,
				"environment variable"},
			"more GPUs than the machine":   {func(r *runIn) { r.GPU = 3 }, 400, "no node can hold"},
			"more memory than the machine": {func(r *runIn) { r.Memory = 9 }, 400, "no node can hold"},
			"negative CPU":                 {func(r *runIn) { r.CPU = -1 }, 400, "cpu"},
			"no entry point":               {func(r *runIn) { r.EntryPoint = " " }, 400, "entryPoint"},
			"no image":                     {func(r *runIn) { r.ContainerImage = map[string]any{"image": "x"} }, 400, "containerImage"},
		}
		for name, tc := range cases {
			in := makeRun("bad", e.dataset, "bash run.sh")
			tc.edit(&in)
			p := e.admin.Do(t, "POST", "/api/v2/training/run", in).wantProblem(t, tc.status)
			if !strings.Contains(p.Title+" "+p.Detail, tc.says) {
				t.Errorf("%s: %q / %q does not mention %q", name, p.Title, p.Detail, tc.says)
			}
		}
		var list []jobOut
		e.admin.Do(t, "GET", "/api/v2/training", nil).want(t, http.StatusOK).decode(t, &list)
		if len(list) != 0 {
			t.Errorf("refused runs left jobs: %+v", list)
		}
		var ds struct {
			IsLocked bool `json:"isLocked"`
		}
		e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/datasets/%d", e.dataset), nil).want(t, http.StatusOK).decode(t, &ds)
		if ds.IsLocked {
			t.Errorf("a refused run locked the dataset")
		}
	})
}

// TestGPUQueueAndQuota: two one-GPU jobs get different GPUs, a third waits
// with the reason, and runs when one ends; the tenant quota bounds the sum.
func TestGPUQueueAndQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		e := newJobEnv(t, e0.engine, map[string]string{"gpu.sh": `echo "devices=$CUDA_VISIBLE_DEVICES"; sleep 600`})
		run := func(name string) jobOut {
			in := makeRun(name, e.dataset, "bash gpu.sh")
			in.GPU = 1
			var j jobOut
			e.admin.Do(t, "POST", "/api/v2/training/run", in).want(t, http.StatusCreated).decode(t, &j)
			return j
		}
		// "Running" is also the name of a job accepted but not yet
		// reported by the runner (KQI-Running): wait for its devices.
		onGPU := func(id int64) jobOut {
			path := fmt.Sprintf("/api/v2/training/%d", id)
			testenv.Eventually(t, 60*time.Second, func() bool {
				return e.admin.waitJob(t, path, "Running").Devices != ""
			}, path+" got no GPU")
			return e.admin.waitJob(t, path, "Running")
		}
		a, b := run("a"), run("b")
		ja, jb := onGPU(a.ID), onGPU(b.ID)
		if ja.Devices == "" || ja.Devices == jb.Devices {
			t.Errorf("devices of two one-GPU jobs: %q and %q, want two different ones", ja.Devices, jb.Devices)
		}
		c := run("c")
		jc := e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", c.ID), "Pending")
		if !strings.Contains(jc.ConditionNote, "GPU") {
			t.Errorf("the waiting job's note %q does not say it waits for a GPU", jc.ConditionNote)
		}
		e.admin.Do(t, "POST", fmt.Sprintf("/api/v2/training/%d/user-cancel", a.ID), nil).want(t, http.StatusOK)
		jc = onGPU(c.ID)
		if jc.Devices != ja.Devices {
			t.Errorf("the queued job got %q, want the freed %q", jc.Devices, ja.Devices)
		}

		// Quota: 2 GPUs in use (b, c); a limit of 2 refuses a third.
		if _, err := e.app.DB.ExecContext(context.Background(), e.app.DB.Rebind(`UPDATE tenants SET limit_gpu = 2 WHERE id = ?`), sandboxID); err != nil {
			t.Fatal(err)
		}
		in := makeRun("d", e.dataset, "bash gpu.sh")
		in.GPU = 1
		p := e.admin.Do(t, "POST", "/api/v2/training/run", in).wantProblem(t, http.StatusBadRequest)
		if !strings.Contains(p.Title, "quota") {
			t.Errorf("over-quota run: %q, want a quota refusal", p.Title)
		}
		for _, id := range []int64{b.ID, c.ID} {
			e.admin.Do(t, "POST", fmt.Sprintf("/api/v2/training/%d/halt", id), nil).want(t, http.StatusOK)
			if j := e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", id), "Killed"); j.StatusType != "Failed" {
				t.Errorf("halted job statusType = %s", j.StatusType)
			}
		}
		e.admin.Do(t, "POST", fmt.Sprintf("/api/v2/training/%d/halt", b.ID), nil).wantProblem(t, http.StatusBadRequest)
	})
}

// TestUnrulyCommands: a command that prints a lot, and one that leaves a
// background process behind, are recorded correctly and leave nothing
// running.
func TestUnrulyCommands(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		marker := fmt.Sprintf("kqi-orphan-%d", time.Now().UnixNano())
		e := newJobEnv(t, e0.engine, map[string]string{
			"loud.sh":  `head -c 60000000 /dev/zero | tr '\0' 'x'; echo; echo end-of-output`,
			"forks.sh": "(sleep 300 # " + marker + "\n) &\necho forked\nexit 0\n"})
		var loud, forks jobOut
		e.admin.Do(t, "POST", "/api/v2/training/run", makeRun("loud", e.dataset, "bash loud.sh")).
			want(t, http.StatusCreated).decode(t, &loud)
		e.admin.Do(t, "POST", "/api/v2/training/run", makeRun("forks", e.dataset, "bash forks.sh")).
			want(t, http.StatusCreated).decode(t, &forks)
		if j := e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", loud.ID), "Completed", "Killed"); j.Status != "Completed" {
			t.Errorf("loud job %s (%s)", j.Status, j.ConditionNote)
		}
		var size int64
		e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d/files/training_stdout_stderr_%d.log/size", loud.ID, loud.ID), nil).
			want(t, http.StatusOK).decode(t, &size)
		if size < 60000000 {
			t.Errorf("log of the loud job is %d bytes, want all 60 MB of it", size)
		}
		if j := e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", forks.ID), "Completed", "Killed"); j.Status != "Completed" {
			t.Errorf("forking job %s (%s)", j.Status, j.ConditionNote)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(processesWith(marker)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if ps := processesWith(marker); len(ps) > 0 {
			t.Errorf("the background process of an ended job still runs: %v", ps)
		}
	})
}

// TestDeleteRunningJob: deleting a job that runs stops it first; nothing of
// it is left running or on disk in the runner's directory.
func TestDeleteRunningJob(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e0 *env) {
		marker := fmt.Sprintf("kqi-delete-%d", time.Now().UnixNano())
		e := newJobEnv(t, e0.engine, map[string]string{"run.sh": "echo started; sleep 600 # " + marker})
		var j jobOut
		e.admin.Do(t, "POST", "/api/v2/training/run", makeRun("doomed", e.dataset, "bash run.sh")).
			want(t, http.StatusCreated).decode(t, &j)
		e.admin.waitJob(t, fmt.Sprintf("/api/v2/training/%d", j.ID), "Running")
		e.admin.Do(t, "DELETE", fmt.Sprintf("/api/v2/training/%d", j.ID), nil).want(t, http.StatusNoContent)
		if ps := processesWith(marker); len(ps) > 0 {
			t.Errorf("the deleted job's processes still run: %v", ps)
		}
		e.admin.Do(t, "GET", fmt.Sprintf("/api/v2/training/%d", j.ID), nil).wantProblem(t, http.StatusNotFound)
		if _, err := e.app.Runner.Status(context.Background(), fmt.Sprintf("training-%d", j.ID)); err == nil {
			t.Errorf("the runner still knows the deleted job")
		}
	})
}

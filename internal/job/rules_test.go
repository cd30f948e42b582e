package job

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

func validRun() RunInput {
	return RunInput{Name: "resnet", ContainerImage: &ImageInput{Image: "pytorch/pytorch", Tag: "2.11"}, DataSetID: 1,
		GitModel: &GitInput{Owner: "team", Repository: "model"}, EntryPoint: "python train.py", CPU: 1, Memory: 2}
}

func TestCheckRun(t *testing.T) {
	cases := map[string]struct {
		edit func(*RunInput)
		says string // "" = accepted
	}{
		"a complete request":         {func(*RunInput) {}, ""},
		"a name of spaces":           {func(r *RunInput) { r.Name = "  " }, "name is required"},
		"no image":                   {func(r *RunInput) { r.ContainerImage = nil }, "containerImage"},
		"no tag":                     {func(r *RunInput) { r.ContainerImage.Tag = "" }, "containerImage"},
		"no dataset":                 {func(r *RunInput) { r.DataSetID = 0 }, "dataSetId"},
		"no repository":              {func(r *RunInput) { r.GitModel.Repository = "" }, "gitModel.repository"},
		"no entry point":             {func(r *RunInput) { r.EntryPoint = "\t" }, "entryPoint"},
		"too many GPUs":              {func(r *RunInput) { r.GPU = 17 }, "gpu must be"},
		"negative memory":            {func(r *RunInput) { r.Memory = -1 }, "memory must be"},
		"an environment name digit":  {func(r *RunInput) { r.Options = map[string]string{"1X": "a"} }, `"1X"`},
		"an environment name space":  {func(r *RunInput) { r.Options = map[string]string{"A B": "a"} }, `"A B"`},
		"dots and dashes are fine":   {func(r *RunInput) { r.Options = map[string]string{"a.b-c_D": "x"} }, ""},
		"an empty name is dropped":   {func(r *RunInput) { r.Options = map[string]string{"": "x"} }, ""},
		"a tag with a comma":         {func(r *RunInput) { r.Tags = []string{"a,b"} }, "tag"},
		"parent inferences on train": {func(r *RunInput) { r.InferenceIDs = []int64{1} }, "inferenceIds"},
		"a port out of range":        {func(r *RunInput) { r.Ports = []int{70000} }, "port 70000"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := validRun()
			tc.edit(&in)
			err := checkRun(&in, Training)
			switch {
			case tc.says == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
				t.Errorf("err = %v, want one that says %q", err, tc.says)
			}
		})
	}
}

func TestStateOf(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	three := 3
	cases := map[string]struct {
		in         runner.Status
		wantStatus string
		wantType   string
		ended      bool
	}{
		"queued is pending":         {runner.Status{Phase: runner.Queued, Reason: "waiting for 1 GPU"}, StatusPending, TypeRunning, false},
		"preparing is pending":      {runner.Status{Phase: runner.Preparing}, StatusPending, TypeRunning, false},
		"running":                   {runner.Status{Phase: runner.Running, Started: start}, StatusRunning, TypeRunning, false},
		"exit 0 is completed":       {runner.Status{Phase: runner.Succeeded, Finished: start}, StatusCompleted, TypeClosed, true},
		"a non-zero exit is killed": {runner.Status{Phase: runner.Failed, ExitCode: &three, Finished: start}, StatusKilled, TypeFailed, true},
		"out of memory":             {runner.Status{Phase: runner.OOMKilled, Finished: start}, StatusOOMKilled, TypeFailed, true},
		"canceled is user-canceled": {runner.Status{Phase: runner.Canceled, Finished: start}, StatusUserCanceled, TypeClosed, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := stateOf(tc.in)
			if got.Status != tc.wantStatus || StatusType(got.Status) != tc.wantType || got.CompletedAt.Valid != tc.ended {
				t.Errorf("stateOf(%s) = %s (%s), ended %v; want %s (%s), ended %v", tc.in.Phase, got.Status,
					StatusType(got.Status), got.CompletedAt.Valid, tc.wantStatus, tc.wantType, tc.ended)
			}
			if tc.in.Phase == runner.Preparing && got.Note == "" {
				t.Errorf("a preparing job says nothing about why it is pending")
			}
		})
	}
	if got := stateOf(runner.Status{Phase: runner.Failed, ExitCode: &three}); !got.ExitCode.Valid || got.ExitCode.Int64 != 3 {
		t.Errorf("exit code = %+v, want 3", got.ExitCode)
	}
}

func TestKeys(t *testing.T) {
	for _, k := range []struct {
		kind Kind
		id   int64
	}{{Training, 12}, {Inference, 1}, {Preprocessing, 9000}} {
		id, ok := parseKey(Key(k.kind, k.id))
		if !ok || id != k.id {
			t.Errorf("parseKey(Key(%s, %d)) = %d, %v", k.kind, k.id, id, ok)
		}
	}
	if _, ok := parseKey("nonsense"); ok {
		t.Errorf("a key without an id parsed")
	}
}

func TestKeywords(t *testing.T) {
	cases := map[string]struct {
		field string
		or    bool
		value string
		want  bool
	}{
		"empty matches all":    {"", false, "x", true},
		"every word":           {"res net", false, "resnet-50", true},
		"one word missing":     {"res vit", false, "resnet-50", false},
		"any word with or":     {"res vit", true, "vit-b", true},
		"negation":             {"!vit", false, "resnet", true},
		"negation that hits":   {"res !50", false, "resnet-50", false},
		"case does not matter": {"ResNet", false, "resnet", true},
	}
	for name, tc := range cases {
		if got := keywords(tc.field, tc.or, tc.value); got != tc.want {
			t.Errorf("%s: keywords(%q, %v, %q) = %v", name, tc.field, tc.or, tc.value, got)
		}
	}
	if !keywordTags("cnn !draft", false, []string{"cnn"}) || keywordTags("cnn", false, []string{"cnn-v2"}) {
		t.Errorf("tags match whole tags, with negation")
	}
}

func TestDurations(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := store.Job{}
	j.StartedAt.Time, j.StartedAt.Valid = base, true
	j.JobStartedAt.Time, j.JobStartedAt.Valid = base.Add(90*time.Second), true
	j.CompletedAt.Time, j.CompletedAt.Valid = base.Add(time.Hour), true
	w, e := durations(j, base.Add(2*time.Hour))
	if diff := cmp.Diff([2]string{"1m30s", "58m30s"}, [2]string{w, e}); diff != "" {
		t.Errorf("durations (-want +got):\n%s", diff)
	}
	j.JobStartedAt.Valid, j.CompletedAt.Valid = false, false
	if w, e := durations(j, base.Add(time.Minute)); w != "1m0s" || e != "" {
		t.Errorf("a job still waiting: %q, %q", w, e)
	}
}

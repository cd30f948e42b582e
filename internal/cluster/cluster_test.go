package cluster

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

func TestSettingOf(t *testing.T) {
	cases := map[string]struct {
		node    store.Node
		tenants []string
		want    runner.NodeSetting
	}{
		"a public node with everything allowed": {
			store.Node{Name: "gpu1", Partition: "a100", AccessLevel: 2, NotebookEnabled: true, TensorBoardEnabled: true},
			nil,
			runner.NodeSetting{Name: "gpu1", Partition: "a100", Access: runner.Public, Notebook: true, TensorBoard: true}},
		"a private node names its tenants, sorted": {
			store.Node{Name: "gpu2", AccessLevel: 1},
			[]string{"team-b", "team-a"},
			runner.NodeSetting{Name: "gpu2", Access: runner.Private, Tenants: []string{"team-a", "team-b"}}},
		"a disabled node names no tenants": {
			store.Node{Name: "gpu3", AccessLevel: 0},
			[]string{"team-a"},
			runner.NodeSetting{Name: "gpu3", Access: runner.Disabled}},
		"a public node names no tenants": {
			store.Node{Name: "gpu4", AccessLevel: 2},
			[]string{"team-a"},
			runner.NodeSetting{Name: "gpu4", Access: runner.Public}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, settingOf(tc.node, tc.tenants)); diff != "" {
				t.Errorf("setting (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDateRange(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	cases := map[string]struct {
		start, end       string
		wantFrom, wantTo time.Time
		wantErr          bool
	}{
		"whole days include the end day": {"2026-01-02", "2026-01-05", day(2), day(6), false},
		"slashes as the original":        {"2026/01/02", "2026/01/02", day(2), day(3), false},
		"an RFC 3339 end is exact":       {"2026-01-02", "2026-01-05T00:00:00Z", day(2), day(5), false},
		"a start after the end":          {"2026-01-05", "2026-01-02", time.Time{}, time.Time{}, true},
		"not a date":                     {"yesterday", "", time.Time{}, time.Time{}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := ParseDateRange(tc.start, tc.end)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && (!r.From.Equal(tc.wantFrom) || !r.To.Equal(tc.wantTo)) {
				t.Errorf("range = %v – %v, want %v – %v", r.From, r.To, tc.wantFrom, tc.wantTo)
			}
		})
	}
}

// fakeRunner reports fixed nodes and jobs and records what it is told.
type fakeRunner struct {
	runner.Runner // unused methods panic
	mu            sync.Mutex
	nodes         []runner.Node
	allocs        []runner.Allocation
	failNodes     bool
	applied       [][]runner.NodeSetting
	tenants       map[string]runner.TenantSetting
	removed       []string
}

func (f *fakeRunner) RemoveTenant(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, name)
	return nil
}

func (f *fakeRunner) Nodes(context.Context) ([]runner.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNodes {
		return nil, context.DeadlineExceeded
	}
	return f.nodes, nil
}

func (f *fakeRunner) Allocations(context.Context) ([]runner.Allocation, error) { return f.allocs, nil }

func (f *fakeRunner) ApplyNodes(_ context.Context, ns []runner.NodeSetting) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, ns)
	return nil
}

func (f *fakeRunner) ApplyTenant(_ context.Context, t runner.TenantSetting) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tenants == nil {
		f.tenants = map[string]runner.TenantSetting{}
	}
	f.tenants[t.Name] = t
	return nil
}

func newTestDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kqi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.JWTSecret(ctx); err != nil { // creates the settings row
		t.Fatal(err)
	}
	return db
}

func nodeNames(t *testing.T, s *Service) []string {
	t.Helper()
	ns, err := s.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Name+"/"+n.AccessLevelStr)
	}
	return out
}

func TestSeedOnlyOnTheFirstStart(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	r := &fakeRunner{failNodes: true, nodes: []runner.Node{{Name: "host-a"}, {Name: "host-b"}}}
	s := New(db, r, WithLogger(slog.New(slog.DiscardHandler)))

	if err := s.Seed(ctx); err == nil {
		t.Fatal("seeding succeeded though the runner could not report its nodes")
	}
	if got := nodeNames(t, s); len(got) != 0 {
		t.Fatalf("nodes after a failed seed = %v, want none (and the seed still to do)", got)
	}
	r.failNodes = false
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"host-a/Public", "host-b/Public"}
	if diff := cmp.Diff(want, nodeNames(t, s)); diff != "" {
		t.Fatalf("seeded nodes (-want +got):\n%s", diff)
	}
	settings, err := s.NodeSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !settings[0].Notebook || !settings[0].TensorBoard {
		t.Errorf("seeded setting %+v: want notebooks and TensorBoard allowed", settings[0])
	}

	ns, _ := db.Q().Nodes(ctx)
	for _, n := range ns {
		if err := db.Q().DeleteNode(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if got := nodeNames(t, s); len(got) != 0 {
		t.Errorf("nodes after deleting them all and starting again = %v, want none", got)
	}
}

func TestSyncAppliesNodesAndQuotas(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	if err := db.Q().SetTenantQuota(ctx, 1, 8, 32, 2, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	r := &fakeRunner{nodes: []runner.Node{{Name: "host-a"}}}
	s := New(db, r, WithLogger(slog.New(slog.DiscardHandler)), WithSampling(0))
	s.Start(ctx)
	t.Cleanup(s.Close)
	if len(r.applied) != 1 || len(r.applied[0]) != 1 || r.applied[0][0].Name != "host-a" {
		t.Errorf("node settings applied = %+v, want host-a once", r.applied)
	}
	want := runner.TenantSetting{Name: "sandbox", Quota: runner.Resources{CPU: 8, MemoryGB: 32, GPU: 2}}
	if diff := cmp.Diff(want, r.tenants["sandbox"]); diff != "" {
		t.Errorf("tenant applied (-want +got):\n%s", diff)
	}
}

func TestJobHistoryCSV(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	r := &fakeRunner{nodes: []runner.Node{{Name: "host-a", Capacity: runner.Resources{CPU: 16, MemoryGB: 64, GPU: 2}}}}
	end := time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)
	s := New(db, r, WithLogger(slog.New(slog.DiscardHandler)), WithClock(func() time.Time { return end }))
	j := store.Job{ID: 12, TenantID: 1, Kind: "training", Node: "host-a", CPU: 2, Memory: 4, GPU: 1,
		Status: "KQI-Completed", JobStartedAt: sql.NullTime{Time: end.Add(-time.Hour), Valid: true},
		CompletedAt: sql.NullTime{Time: end, Valid: true}, Audit: store.Audit{CreatedAt: end.Add(-2 * time.Hour)}}
	j.Name = `a "quoted", name` // not in the CSV, but a tenant name could be anything
	s.JobEnded(ctx, j, `sand,box`)

	var buf bytes.Buffer
	dr, err := ParseDateRange("2026-01-15", "2026-01-15")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteJobHistory(ctx, &buf, dr, true); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, text)
	}
	want := [][]string{JobHistoryHeader, {"host-a", "16", "64", "2", "1", "sand,box", "training-12", "training", "12",
		"2026-01-15T07:30:00Z", "2026-01-15T08:30:00Z", "2026-01-15T09:30:00Z", "2", "4", "1", "KQI-Completed"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(text, "KQI-Completed\r\n") {
		t.Errorf("rows do not end in CRLF (RFC 4180)")
	}

	buf.Reset()
	dr, _ = ParseDateRange("2026-01-16", "")
	if err := s.WriteJobHistory(ctx, &buf, dr, false); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("history after the job ended = %q, want nothing", buf.String())
	}
}

// The local runner keeps no tenants, so what reaches ApplyTenant is seen
// here, on a recording runner.
func TestQuotaChangesReachTheRunner(t *testing.T) {
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{UserName: "admin", TenantID: 1, TenantName: "sandbox"})
	db := newTestDB(t)
	r := &fakeRunner{}
	s := New(db, r, WithLogger(slog.New(slog.DiscardHandler)))

	if _, err := s.SetQuotas(ctx, []QuotaInput{{TenantID: 1, CPU: 4, Memory: 16, GPU: 1}}); err != nil {
		t.Fatal(err)
	}
	want := runner.TenantSetting{Name: "sandbox", Quota: runner.Resources{CPU: 4, MemoryGB: 16, GPU: 1}}
	if diff := cmp.Diff(want, r.tenants["sandbox"]); diff != "" {
		t.Errorf("applied quota (-want +got):\n%s", diff)
	}
	r.tenants = nil
	if _, err := s.SetQuotas(ctx, []QuotaInput{{TenantID: 1, CPU: 4, Memory: 16, GPU: 1}}); err != nil {
		t.Fatal(err)
	}
	if len(r.tenants) != 0 {
		t.Errorf("an unchanged quota was applied again: %+v", r.tenants)
	}
	if _, err := s.SetQuotas(ctx, []QuotaInput{{TenantID: 1, CPU: 300}}); err == nil || len(r.tenants) != 0 {
		t.Errorf("a quota over the cap: err %v, applied %+v; want refused and nothing applied", err, r.tenants)
	}

	s.TenantCreated(ctx, "sandbox")
	if got := r.tenants["sandbox"].Quota.CPU; got != 4 {
		t.Errorf("a created tenant reached the runner with CPU quota %d, want 4", got)
	}
	s.TenantDeleted(ctx, "team-b")
	if !slices.Equal(r.removed, []string{"team-b"}) {
		t.Errorf("tenants removed from the runner = %v, want team-b", r.removed)
	}
}

package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// helperEnv makes the test binary run one failing scenario in a child
// process, so that the parent can check that it fails and how.
const helperEnv = "TESTENV_HELPER"

func TestEngines(t *testing.T) {
	cases := map[string]struct {
		url, require string
		want         []string
	}{
		"without a PostgreSQL URL only SQLite runs":  {want: []string{"sqlite"}},
		"with a PostgreSQL URL both engines run":     {url: "postgres://x@127.0.0.1/x", want: []string{"sqlite", "postgres"}},
		"requiring PostgreSQL with a URL runs both":  {url: "postgres://x@127.0.0.1/x", require: "1", want: []string{"sqlite", "postgres"}},
		"a require value other than 1 does not bind": {require: "yes", want: []string{"sqlite"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(testenv.PostgresURLEnv, tc.url)
			t.Setenv(testenv.RequirePostgresEnv, tc.require)
			if diff := cmp.Diff(tc.want, testenv.Engines(t)); diff != "" {
				t.Errorf("Engines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "engines-require":
		testenv.Engines(t)
	case "eventually-never":
		testenv.Eventually(t, 60*time.Millisecond, func() bool { return false }, "the flag was never set")
	}
}

func TestFailures(t *testing.T) {
	cases := map[string]struct {
		helper  string
		env     []string
		wantOut string
	}{
		"requiring PostgreSQL without a URL fails and says how to start one": {
			helper:  "engines-require",
			env:     []string{testenv.PostgresURLEnv + "=", testenv.RequirePostgresEnv + "=1"},
			wantOut: "scripts/test-postgres.sh start",
		},
		"a condition that never holds fails with the message": {
			helper:  "eventually-never",
			wantOut: "the flag was never set",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(append(os.Environ(), helperEnv+"="+tc.helper), tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("helper %s passed, want a failure; output:\n%s", tc.helper, out)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("helper %s output does not mention %q:\n%s", tc.helper, tc.wantOut, out)
			}
		})
	}
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	testenv.Eventually(t, time.Minute, func() bool { return calls.Add(1) >= 3 }, "third call")
	if got := calls.Load(); got != 3 {
		t.Errorf("cond called %d times, want 3", got)
	}
}

func TestNewDB(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			db := testenv.NewDB(t, engine)
			if got := string(db.Dialect); got != engine {
				t.Errorf("dialect = %q, want %q", got, engine)
			}
			n, err := db.Q().CountUsers(t.Context())
			if err != nil {
				t.Fatalf("query the migrated schema: %v", err)
			}
			if n != 0 {
				t.Errorf("users = %d, want 0 in a fresh database", n)
			}
		})
	}
}

func TestNewDBGivesEachTestItsOwnDatabase(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			a, b := testenv.NewDB(t, engine), testenv.NewDB(t, engine)
			if _, err := a.ExecContext(t.Context(), `INSERT INTO settings (jwt_secret) VALUES ('a')`); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := b.GetContext(t.Context(), &n, `SELECT COUNT(*) FROM settings`); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("second database sees %d settings rows written to the first, want 0", n)
			}
		})
	}
}

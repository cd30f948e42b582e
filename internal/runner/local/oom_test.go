package local_test

import (
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Where cgroup v2 is delegated to us, the memory limit is enforced and its
// kill reported as OOMKilled. Elsewhere (cgroup v1, read-only) it is
// skipped: the command would really take the memory.
func TestMemoryLimitEndsInOOMKilled(t *testing.T) {
	r := newEnv(t).runner()
	if why := r.LimitsEnforced(); why != "" {
		t.Skip("memory limits not enforced here: " + why)
	}
	s := job(60, "head -c 3G /dev/zero | tail > /dev/null")
	s.Resources.MemoryGB, s.Resources.CPU = 1, 1
	submit(t, r, s)
	if st := waitEnd(t, r, s.Key); st.Phase != runner.OOMKilled {
		t.Errorf("status = %+v, want OOMKilled", st)
	}
}

package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

func TestCheckNodeName(t *testing.T) {
	cases := map[string]struct {
		name string
		says string // "" = accepted
	}{
		"a host name":               {"gpu-node-1", ""},
		"a fully qualified name":    {"gpu1.cluster.example.com", ""},
		"253 characters":            {strings.Repeat("a.", 126) + "a", ""},
		"empty":                     {"", "name is required"},
		"254 characters":            {strings.Repeat("a", 254), "at most 253"},
		"upper case":                {"GPU1", "not a valid node name"},
		"an underscore":             {"gpu_1", "not a valid node name"},
		"a trailing dash":           {"gpu-", "not a valid node name"},
		"an empty label":            {"gpu..1", "not a valid node name"},
		"a space":                   {"gpu 1", "not a valid node name"},
		"a leading dot":             {".gpu", "not a valid node name"},
		"a path, not a name at all": {"../etc", "not a valid node name"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { wantInvalid(t, CheckNodeName(tc.name), tc.says) })
	}
}

func TestCheckPartition(t *testing.T) {
	cases := map[string]struct {
		partition string
		says      string
	}{
		"none":                  {"", ""},
		"letters and digits":    {"A100", ""},
		"dots dashes and _":     {"gpu.a-100_x", ""},
		"63 characters":         {strings.Repeat("p", 63), ""},
		"64 characters":         {strings.Repeat("p", 64), "at most 63"},
		"a leading dash":        {"-gpu", "partition \"-gpu\" is not valid"},
		"a trailing underscore": {"gpu_", "is not valid"},
		"a slash":               {"gpu/a100", "is not valid"},
		"a space":               {"gpu a100", "is not valid"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { wantInvalid(t, CheckPartition(tc.partition), tc.says) })
	}
}

func TestCheckQuota(t *testing.T) {
	cases := map[string]struct {
		cpu, memory, gpu int
		says             string
	}{
		"unlimited":           {0, 0, 0, ""},
		"the original's caps": {250, 500, 16, ""},
		"negative cpu":        {-1, 0, 0, "cpu quota -1"},
		"too much cpu":        {251, 0, 0, "cpu quota 251"},
		"too much memory":     {0, 501, 0, "memory quota 501"},
		"too many GPUs":       {0, 0, 17, "gpu quota 17"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { wantInvalid(t, CheckQuota(tc.cpu, tc.memory, tc.gpu), tc.says) })
	}
}

// wantInvalid checks that err is nil when says is empty, else an Invalid
// error whose message contains says.
func wantInvalid(t *testing.T, err error, says string) {
	t.Helper()
	if says == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("err = %v, want an Invalid error saying %q", err, says)
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("err = %q, want it to say %q", err, says)
	}
}

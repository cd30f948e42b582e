package gpu

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

func TestParseSMI(t *testing.T) {
	got, err := parseSMI("0, GPU-aaa, NVIDIA H200, 143771\n1, GPU-bbb, NVIDIA H200, 143771\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []runner.GPU{{Index: 0, UUID: "GPU-aaa", Name: "NVIDIA H200", MemoryMiB: 143771},
		{Index: 1, UUID: "GPU-bbb", Name: "NVIDIA H200", MemoryMiB: 143771}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parseSMI("garbage"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestParseOverride(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    int
		wantErr bool
	}{
		"two fake GPUs": {in: "2", want: 2},
		"none":          {in: "none"},
		"zero":          {in: "0"},
		"nonsense":      {in: "many", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if (err != nil) != tc.wantErr || len(got) != tc.want {
				t.Errorf("Parse(%q) = %d GPUs, %v", tc.in, len(got), err)
			}
		})
	}
}

// A fake nvidia-smi on PATH stands for the driver's tool.
func TestDiscoverThroughSMI(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho '0, GPU-x, Tesla T4, 15360'\n"
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	got := Discover(context.Background(), slog.New(slog.DiscardHandler), "")
	if len(got) != 1 || got[0].Name != "Tesla T4" {
		t.Errorf("Discover = %+v", got)
	}
	t.Setenv("PATH", t.TempDir())
	if got := Discover(context.Background(), slog.New(slog.DiscardHandler), ""); len(got) != 0 {
		t.Errorf("without nvidia-smi: %+v, want none", got)
	}
}

// On a machine with GPUs (KQI_EXPECT_GPUS=1), discovery must find them.
func TestDiscoverOnThisMachine(t *testing.T) {
	got := Discover(context.Background(), slog.New(slog.DiscardHandler), "")
	t.Logf("GPUs here: %+v", got)
	if os.Getenv("KQI_EXPECT_GPUS") != "" && len(got) == 0 {
		t.Error("no GPU found on a machine that has them")
	}
}

package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/runner/local"
)

// TestMain lets this test binary be the local runner's job supervisor: the
// servers the tests build start `<exe> job run --dir DIR` for each job, as
// the real binary does.
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "job" && os.Args[2] == "run" {
		if err := local.Supervise(context.Background(), os.Args[4], slog.Default()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

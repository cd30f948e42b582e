// Package gpu finds the machine's NVIDIA GPUs for the local runner: through
// NVML where the binary is built with cgo, else through nvidia-smi when it
// is installed. A machine without either is a CPU-only machine, never an
// error that stops the server.
package gpu

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// Discover returns the GPUs of this machine. A non-empty override replaces
// discovery (see Parse): tests and GPU-less machines pretend with it.
func Discover(ctx context.Context, log *slog.Logger, override string) []runner.GPU {
	if override != "" {
		gpus, err := Parse(override)
		if err == nil {
			log.Info("GPUs from the override", "count", len(gpus))
			return gpus
		}
		log.Warn("GPU override ignored", "override", override, "error", err)
	}
	gpus, err := fromNVML()
	if err == nil {
		log.Info("GPUs found through NVML", "count", len(gpus))
		return gpus
	}
	log.Debug("NVML unavailable", "error", err)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	gpus, err = fromSMI(ctx, "nvidia-smi")
	if err != nil {
		log.Info("no GPUs found; jobs run on CPUs only", "reason", err)
		return nil
	}
	log.Info("GPUs found through nvidia-smi", "count", len(gpus))
	return gpus
}

// Parse reads an override: "none" (or "0") for no GPU, or a count N for N
// pretended GPUs with indexes 0…N-1 (they run nothing: CUDA sees device
// numbers that do not exist).
func Parse(s string) ([]runner.GPU, error) {
	s = strings.TrimSpace(s)
	if s == "none" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1024 {
		return nil, fmt.Errorf("gpu override %q: want \"none\" or a count of GPUs", s)
	}
	gpus := make([]runner.GPU, n)
	for i := range gpus {
		gpus[i] = runner.GPU{Index: i, UUID: fmt.Sprintf("GPU-fake-%d", i), Name: "Fake GPU", MemoryMiB: 16384}
	}
	return gpus, nil
}

// fromSMI runs nvidia-smi for the GPUs' index, UUID, name and memory.
func fromSMI(ctx context.Context, bin string) ([]runner.GPU, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%s not found", bin)
	}
	out, err := exec.CommandContext(ctx, path, "--query-gpu=index,uuid,name,memory.total",
		"--format=csv,noheader,nounits").Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	return parseSMI(string(out))
}

// parseSMI reads nvidia-smi's CSV: "0, GPU-…, NVIDIA H200, 143771".
func parseSMI(out string) ([]runner.GPU, error) {
	r := csv.NewReader(strings.NewReader(out))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = 4
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi output: %w", err)
	}
	var gpus []runner.GPU
	for _, row := range rows {
		idx, err1 := strconv.Atoi(row[0])
		mem, err2 := strconv.ParseInt(row[3], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("nvidia-smi row %q: %w", strings.Join(row, ","), err)
		}
		gpus = append(gpus, runner.GPU{Index: idx, UUID: row[1], Name: row[2], MemoryMiB: mem})
	}
	if len(gpus) == 0 {
		return nil, errors.New("nvidia-smi lists no GPU")
	}
	return gpus, nil
}

//go:build !(cgo && linux)

package gpu

import (
	"errors"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// fromNVML is unavailable: NVML is loaded through cgo, and this binary was
// built without it (the default static build). nvidia-smi serves instead.
func fromNVML() ([]runner.GPU, error) {
	return nil, errors.New("built without cgo: NVML not available")
}

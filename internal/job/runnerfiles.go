package job

import (
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// RunnerFileKey is where a file that job key's finish uploads goes: area
// "output" or "attach" of the job, the same places a mounted storage
// directory gives /kqi/output and /kqi/attach.
func RunnerFileKey(tenant, key, area, path string) (storage.Key, error) {
	id, ok := parseKey(key)
	if !ok {
		return storage.Key{}, apperr.Invalid("%q is not a job key", key)
	}
	out, attach := areas(Kind(strings.TrimSuffix(key, "-"+strconv.FormatInt(id, 10))))
	typ := out
	switch area {
	case "output":
	case "attach":
		typ = attach
	default:
		return storage.Key{}, apperr.Invalid("area %q: use output or attach", area)
	}
	k, err := storage.NewKey(tenant, typ, strconv.FormatInt(id, 10)+"/"+path)
	if err != nil {
		return storage.Key{}, apperr.Invalid("file %q: %v", path, err)
	}
	return k, nil
}

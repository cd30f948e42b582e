package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

func TestCleanPath(t *testing.T) {
	long := strings.Repeat(strings.Repeat("a", 99)+"/", 10) + strings.Repeat("b", 24) // 1024 bytes
	for name, tc := range map[string]struct {
		path string
		ok   bool
	}{
		"a file at the top":                       {"a.txt", true},
		"a file in nested directories":            {"a/b/c.txt", true},
		"Japanese names":                          {"データ/学習用 画像.png", true},
		"an emoji":                                {"📁/🐱.jpg", true},
		"dots inside names":                       {"v1.2/archive.tar.gz", true},
		"a name of three dots":                    {"a/.../b", true},
		"a hidden file":                           {".gitignore", true},
		"a path of exactly the longest length":    {long, true},
		"a name of exactly the longest length":    {strings.Repeat("n", 255), true},
		"nothing":                                 {"", false},
		"a parent segment climbing out":           {"../x", false},
		"a parent segment inside":                 {"a/../b", false},
		"only a parent segment":                   {"..", false},
		"a parent segment at the end":             {"a/..", false},
		"a current-directory segment":             {"./a", false},
		"a current-directory segment inside":      {"a/./b", false},
		"only a dot":                              {".", false},
		"an absolute path":                        {"/etc/passwd", false},
		"a NUL byte":                              {"a\x00b", false},
		"a newline":                               {"a\nb", false},
		"a DEL character":                         {"a\x7fb", false},
		"a backslash":                             {`a\b`, false},
		"a Windows parent segment":                {`..\x`, false},
		"a double slash":                          {"a//b", false},
		"a trailing slash":                        {"a/", false},
		"the reserved temporary prefix":           {".kqi-tmp-abc", false},
		"the reserved prefix in a directory":      {"a/.kqi-tmp-abc/b", false},
		"invalid UTF-8":                           {"a\xffb", false},
		"a path one byte too long":                {long + "b", false},
		"a name one byte too long for the system": {strings.Repeat("n", 256), false},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := storage.CleanPath(tc.path)
			switch {
			case tc.ok && (err != nil || got != tc.path):
				t.Errorf("CleanPath(%q) = %q, %v; want it unchanged", tc.path, got, err)
			case !tc.ok && !errors.Is(err, storage.ErrInvalid):
				t.Errorf("CleanPath(%q) = %q, %v; want ErrInvalid", tc.path, got, err)
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	for name, tc := range map[string]struct {
		tenant string
		typ    storage.ResourceType
		path   string
		want   storage.Key
		err    error
	}{
		"a plain key": {"t1", storage.Data, "a/b", storage.Key{Tenant: "t1", Type: storage.Data, Path: "a/b"}, nil},
		"a type in another case is canonicalized": {"t1", "trainingHISTORYattachedfiles", "x", storage.Key{Tenant: "t1", Type: storage.TrainingHistoryAttachedFiles, Path: "x"}, nil},
		"an unknown type":                         {"t1", "Other", "x", storage.Key{}, storage.ErrInvalid},
		"an empty tenant":                         {"", storage.Data, "x", storage.Key{}, storage.ErrInvalid},
		"a tenant with a slash":                   {"a/b", storage.Data, "x", storage.Key{}, storage.ErrInvalid},
		"a tenant of two dots":                    {"..", storage.Data, "x", storage.Key{}, storage.ErrInvalid},
		"a bad path":                              {"t1", storage.Data, "a//b", storage.Key{}, storage.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := storage.NewKey(tc.tenant, tc.typ, tc.path)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("NewKey = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

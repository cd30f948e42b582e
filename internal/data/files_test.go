package data

import (
	"errors"
	"regexp"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

func TestCheckTag(t *testing.T) {
	for tag, wantOK := range map[string]bool{
		"cats":                    true,
		"2026-01":                 true,
		"猫":                       true,
		"a!b":                     true, // only a leading operator is refused
		"a,b":                     false,
		"!neg":                    false,
		"=eq":                     false,
		"<lt":                     false,
		">gt":                     false,
		"   ":                     false,
		"":                        false,
		string(make([]byte, 300)): false,
	} {
		if err := CheckTag(tag); (err == nil) != wantOK {
			t.Errorf("CheckTag(%q) = %v, want ok=%v", tag, err, wantOK)
		}
	}
}

func TestNameSet(t *testing.T) {
	existing := []store.DataFile{{FileName: "a.txt"}, {FileName: "dir/b.txt"}}
	for name, tc := range map[string]struct {
		add      []string
		wantKind apperr.Kind // 0: accepted
	}{
		"new names are accepted":                   {add: []string{"c.txt", "dir/c.txt", "other/d.txt"}},
		"a name the data has conflicts":            {add: []string{"a.txt"}, wantKind: apperr.KindConflict},
		"a name twice in one request conflicts":    {add: []string{"x", "x"}, wantKind: apperr.KindConflict},
		"a file where a directory is conflicts":    {add: []string{"dir"}, wantKind: apperr.KindConflict},
		"a directory where a file is conflicts":    {add: []string{"a.txt/inner"}, wantKind: apperr.KindConflict},
		"a new file under a new file's name fails": {add: []string{"n", "n/m"}, wantKind: apperr.KindConflict},
		"traversal is invalid":                     {add: []string{"../x"}, wantKind: apperr.KindInvalid},
		"a backslash is invalid":                   {add: []string{`a\b`}, wantKind: apperr.KindInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			ns := newNameSet(existing)
			var err error
			for _, n := range tc.add {
				if err = ns.add(7, n); err != nil {
					break
				}
			}
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("add %v: %v, want accepted", tc.add, err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != tc.wantKind {
				t.Fatalf("add %v: %v, want kind %v", tc.add, err, tc.wantKind)
			}
		})
	}
}

func TestNewStoredPath(t *testing.T) {
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	for name, want := range map[string]string{
		"photo.JPG":              `^` + uuid + `\.JPG$`,
		"archive.tar.gz":         `^` + uuid + `\.gz$`,
		"noext":                  `^` + uuid + `$`,
		"weird.ex t":             `^` + uuid + `$`,
		"../../etc/x.conf":       `^` + uuid + `\.conf$`,
		"long.abcdefghijklmnopq": `^` + uuid + `$`,
	} {
		if got := newStoredPath(name); !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("newStoredPath(%q) = %q, want %s", name, got, want)
		}
	}
}

func TestParseParts(t *testing.T) {
	parts, err := parseParts([]string{`1+"abc"`, "2+def"})
	if err != nil || len(parts) != 2 || parts[0].ETag != "abc" || parts[1].Number != 2 {
		t.Fatalf("parseParts = %+v, %v", parts, err)
	}
	for _, bad := range [][]string{nil, {"abc"}, {"0+abc"}, {"x+abc"}, {"1+"}, {`1+""`}} {
		if _, err := parseParts(bad); err == nil {
			t.Errorf("parseParts(%q) accepted", bad)
		}
	}
}

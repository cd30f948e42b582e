package prompt

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckAdminPassword(t *testing.T) {
	for name, tc := range map[string]struct {
		pw, wantEn, wantJa string
	}{
		"digits only is refused": {"12345678", "must not be digits only", "数字のみ"},
		"short is refused":       {"short", "at least 8 characters", "8 文字以上"},
		"empty is refused":       {"", "at least 8 characters", "8 文字以上"},
		"letters and digits":     {"kqi-admin-1", "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			for lang, want := range map[Lang]string{English: tc.wantEn, Japanese: tc.wantJa} {
				err := CheckAdminPassword(lang, tc.pw)
				if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Errorf("lang %d: CheckAdminPassword(%q) = %v, want %q", lang, tc.pw, err, want)
				}
			}
		})
	}
}

func TestParseHostList(t *testing.T) {
	for name, tc := range map[string]struct {
		in, want, wantErr string
	}{
		"names and ports":        {in: "gpu1, gpu2:2222", want: "gpu1:0 gpu2:2222"},
		"a blank entry":          {in: "gpu1,,gpu2", wantErr: "entry 2 of the list is blank"},
		"a trailing comma":       {in: "gpu1,", wantErr: "entry 2 of the list is blank"},
		"a duplicate":            {in: "gpu1,gpu2,gpu1", wantErr: `"gpu1" is listed twice`},
		"same name, other ports": {in: "gpu1:22,gpu1:23", wantErr: `"gpu1" is listed twice`},
		"a bad port":             {in: "gpu1:x", wantErr: "the port after ':'"},
		"nothing":                {in: " ", wantErr: "an answer is required"},
	} {
		t.Run(name, func(t *testing.T) {
			hs, err := ParseHostList(English, tc.in)
			var got []string
			for _, h := range hs {
				got = append(got, fmt.Sprintf("%s:%d", h.Name, h.Port))
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tc.want {
				t.Errorf("got %v (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestLangFromEnv(t *testing.T) {
	for env, want := range map[string]Lang{"LANG=ja_JP.UTF-8": Japanese, "LC_ALL=C LANG=ja_JP.UTF-8": English, "LANG=en_US.UTF-8": English, "": English} {
		vars := map[string]string{}
		for _, kv := range strings.Fields(env) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		if got := LangFromEnv(func(k string) string { return vars[k] }); got != want {
			t.Errorf("%q: got %d, want %d", env, got, want)
		}
	}
}

package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table is the users' reference; every setting
// must be in it, with its flag, environment variable and YAML key.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, f := range Fields() {
		for _, want := range []string{"`" + f.Env + "`", "`--" + f.Flag + "`", "`" + f.YAML + "`"} {
			if want == "`---`" || want == "`-`" {
				continue // not settable that way
			}
			if !strings.Contains(readme, want) {
				t.Errorf("README.md does not mention %s (setting %s)", want, f.Env)
			}
		}
	}
}

package cli

import (
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The original kqi (Python click) has short options of several letters
// (-rim, -mem, -did, -zip); pflag's shorthands are one letter. A flag
// carries its original spelling in this annotation, and normalize turns
// that spelling into the long option before cobra parses the line.
const (
	shortAnnotation = "kqi-short"
	pairAnnotation  = "kqi-pair" // an option taking KEY VAL, as click's tuple options
)

// longShort gives a flag its original short spelling.
func longShort(fs *pflag.FlagSet, long, short string) {
	_ = fs.SetAnnotation(long, shortAnnotation, []string{short})
	f := fs.Lookup(long)
	f.Usage = "(-" + short + ") " + f.Usage
}

var multiShort = regexp.MustCompile(`^-([a-zA-Z][a-zA-Z-]+)(=.*)?$`)

// normalize rewrites the original's multi-letter short options of the
// command args name into long ones, and "-o KEY VAL" into "-o KEY=VAL".
func normalize(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	flags := cmd.Flags()
	flags.AddFlagSet(cmd.InheritedFlags())
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if m := multiShort.FindStringSubmatch(a); m != nil {
			if f := byShort(flags, m[1]); f != nil {
				a = "--" + f.Name + m[2]
			}
		}
		out = append(out, a)
		if f := pairFlag(flags, a); f && i+2 < len(args) && !strings.Contains(args[i+1], "=") {
			out = append(out, args[i+1]+"="+args[i+2])
			i += 2
		}
	}
	return out
}

func byShort(fs *pflag.FlagSet, s string) *pflag.Flag {
	var found *pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if found == nil && (slices.Contains(f.Annotations[shortAnnotation], s) || (len(s) > 1 && f.Name == s)) {
			found = f
		}
	})
	return found
}

func pairFlag(fs *pflag.FlagSet, a string) bool {
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(a, "--"):
		f = fs.Lookup(strings.TrimPrefix(a, "--"))
	case len(a) == 2 && a[0] == '-':
		f = fs.ShorthandLookup(a[1:])
	}
	return f != nil && f.Annotations[pairAnnotation] != nil
}

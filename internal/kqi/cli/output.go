package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// column is one column of a table: a header and a dotted JSON path.
type column struct{ head, path string }

func cols(spec ...string) []column {
	out := make([]column, 0, len(spec))
	for _, s := range spec {
		head, path, ok := strings.Cut(s, "=")
		if !ok {
			path = head
		}
		out = append(out, column{head, path})
	}
	return out
}

// printList writes items (decoded JSON objects) as a table, or as JSON.
func (a *app) printList(items []any, columns []column) error {
	if a.json() {
		return a.printJSON(items)
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	for i, c := range columns {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c.head)
	}
	fmt.Fprintln(tw)
	for _, it := range items {
		for i, c := range columns {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell(field(it, c.path)))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// printObject writes one object as "key value" lines, or as JSON.
func (a *app) printObject(v any) error {
	if a.json() {
		return a.printJSON(v)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		_, err := fmt.Fprintln(a.Out, cell(v))
		return err
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		fmt.Fprintf(tw, "%s\t%s\n", k, cell(obj[k]))
	}
	return tw.Flush()
}

// printDone says what a change did ("created 12"), or prints the
// server's answer as JSON.
func (a *app) printDone(v any, verb string, id any) error {
	if a.json() {
		return a.printJSON(v)
	}
	_, err := fmt.Fprintln(a.Out, verb, cell(id))
	return err
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) json() bool { return a.output == "json" }

// field follows a dotted path into decoded JSON.
func field(v any, path string) any {
	for p := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, cell(e))
		}
		return strings.Join(parts, ",")
	case map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// writeJSONFile writes v as indented JSON to path (the original's -d of `get`).
func writeJSONFile(w io.Writer, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(path, append(b, '\n')); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, "saved as", path)
	return err
}

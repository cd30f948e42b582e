package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// MaxPerPage caps list pages, as the original.
const MaxPerPage = 1000

// page applies page/perPage/withTotal to items and sets X-Total-Count.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) ([]T, error) {
	p, err := queryInt(r, "page", 1)
	if err != nil {
		return nil, err
	}
	per, err := queryInt(r, "perPage", MaxPerPage)
	if err != nil {
		return nil, err
	}
	withTotal, err := queryBool(r, "withTotal")
	if err != nil {
		return nil, err
	}
	if p < 1 {
		return nil, apperr.Invalid("page must be 1 or more")
	}
	if per < 1 || per > MaxPerPage {
		return nil, apperr.Invalid("perPage must be between 1 and %d", MaxPerPage)
	}
	if withTotal {
		w.Header().Set("X-Total-Count", strconv.Itoa(len(items)))
	}
	// Compare in pages, not items: (p-1)*per can overflow for a huge page.
	if p-1 >= (len(items)+per-1)/per {
		return []T{}, nil
	}
	start := (p - 1) * per
	return items[start:min(start+per, len(items))], nil
}

// Filters follow the original's mini-language: strings match by substring
// (case-insensitive), a leading '!' negates; numbers and dates accept a
// leading >=, >, <=, < or = comparison.

// matchString reports whether value passes the string filter f.
func matchString(f, value string) bool {
	if f == "" {
		return true
	}
	neg := strings.HasPrefix(f, "!")
	if neg {
		f = f[1:]
	}
	hit := strings.Contains(strings.ToLower(value), strings.ToLower(f))
	return hit != neg
}

func splitOp(f string) (op, rest string) {
	for _, o := range []string{">=", "<=", ">", "<", "="} {
		if strings.HasPrefix(f, o) {
			return o, strings.TrimSpace(f[len(o):])
		}
	}
	return "=", strings.TrimSpace(f)
}

func compare(op string, c int) bool {
	switch op {
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	}
	return c == 0
}

// matchNumber reports whether value passes the numeric filter f.
func matchNumber(f string, value int64) (bool, error) {
	if f == "" {
		return true, nil
	}
	op, rest := splitOp(f)
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return false, apperr.Invalid("filter %q is not a number comparison", f).WithDetail("write for example >=10")
	}
	switch {
	case value < n:
		return compare(op, -1), nil
	case value > n:
		return compare(op, 1), nil
	}
	return compare(op, 0), nil
}

// matchTime reports whether t passes the date filter f (a date, or a date
// and time, compared at the filter's precision).
func matchTime(f string, t time.Time) (bool, error) {
	if f == "" {
		return true, nil
	}
	op, rest := splitOp(f)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "2006/01/02"} {
		ft, err := time.ParseInLocation(layout, rest, time.UTC)
		if err != nil {
			continue
		}
		v := t.UTC()
		if len(rest) <= len("2006-01-02") {
			v = time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
		}
		return compare(op, v.Compare(ft)), nil
	}
	return false, apperr.Invalid("filter %q is not a date comparison", f).WithDetail("write for example >=2026-01-31")
}

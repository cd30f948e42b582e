package api

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

func TestPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for name, tc := range map[string]struct {
		query     string
		want      []int
		wantTotal string
		wantErr   bool
	}{
		"no parameters returns everything":   {query: "", want: items},
		"second page of two":                 {query: "page=2&perPage=2", want: []int{3, 4}},
		"last partial page":                  {query: "page=3&perPage=2", want: []int{5}},
		"page past the end is empty":         {query: "page=9&perPage=2", want: []int{}},
		"withTotal counts before paging":     {query: "perPage=1&withTotal=true", want: []int{1}, wantTotal: "5"},
		"parameter names are case-blind":     {query: "PerPage=1&Page=2", want: []int{2}},
		"perPage over the cap is refused":    {query: "perPage=1001", wantErr: true},
		"page zero is refused":               {query: "page=0", wantErr: true},
		"non-numeric perPage is refused":     {query: "perPage=ten", wantErr: true},
		"non-boolean withTotal is refused":   {query: "withTotal=maybe", wantErr: true},
		"perPage at the cap is fine":         {query: "perPage=1000", want: items},
		"withTotal=false sets no header":     {query: "withTotal=false", want: items},
		"negative perPage is refused":        {query: "perPage=-1", wantErr: true},
		"page one of one-per-page is first":  {query: "page=1&perPage=1", want: []int{1}},
		"withTotal with an empty page works": {query: "page=9&withTotal=true", want: []int{}, wantTotal: "5"},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/x?"+tc.query, nil)
			got, err := page(w, r, items)
			if tc.wantErr {
				if !errors.Is(err, apperr.ErrInvalid) {
					t.Fatalf("want an invalid-input error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if got := w.Header().Get("X-Total-Count"); got != tc.wantTotal {
				t.Errorf("X-Total-Count = %q, want %q", got, tc.wantTotal)
			}
		})
	}
}

func TestMatchString(t *testing.T) {
	for name, tc := range map[string]struct {
		filter, value string
		want          bool
	}{
		"empty filter matches all":       {"", "anything", true},
		"substring matches":              {"lic", "alice", true},
		"match ignores case":             {"ALI", "alice", true},
		"non-substring does not match":   {"bob", "alice", false},
		"negation excludes a substring":  {"!lic", "alice", false},
		"negation keeps the others":      {"!bob", "alice", true},
		"lone ! excludes everything":     {"!", "alice", false},
		"multibyte substring matches":    {"研究", "研究チーム", true},
		"negated multibyte excludes one": {"!研究", "研究チーム", false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := matchString(tc.filter, tc.value); got != tc.want {
				t.Errorf("matchString(%q, %q) = %v, want %v", tc.filter, tc.value, got, tc.want)
			}
		})
	}
}

func TestMatchNumber(t *testing.T) {
	for name, tc := range map[string]struct {
		filter  string
		value   int64
		want    bool
		wantErr bool
	}{
		"plain number is equality":    {filter: "5", value: 5, want: true},
		"plain number other value":    {filter: "5", value: 6, want: false},
		">= includes the bound":       {filter: ">=5", value: 5, want: true},
		"> excludes the bound":        {filter: ">5", value: 5, want: false},
		"<= includes the bound":       {filter: "<=5", value: 5, want: true},
		"< below the bound":           {filter: "<5", value: 4, want: true},
		"= explicit equality":         {filter: "=7", value: 7, want: true},
		"spaces after the operator":   {filter: ">= 3", value: 4, want: true},
		"empty filter matches":        {filter: "", value: 1, want: true},
		"garbage is refused":          {filter: ">=x", wantErr: true},
		"operator alone is refused":   {filter: ">=", wantErr: true},
		"negative numbers compare ok": {filter: ">-2", value: -1, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := matchNumber(tc.filter, tc.value)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("matchNumber(%q, %d) = %v, want %v", tc.filter, tc.value, got, tc.want)
			}
		})
	}
}

func TestMatchTime(t *testing.T) {
	at := time.Date(2026, 3, 15, 13, 30, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		filter  string
		want    bool
		wantErr bool
	}{
		"same day with date-only equality": {filter: "2026-03-15", want: true},
		"day before is >=":                 {filter: ">=2026-03-14", want: true},
		"same day is >= at day precision":  {filter: ">=2026-03-15", want: true},
		"same day is not > at day":         {filter: ">2026-03-15", want: false},
		"later day is <":                   {filter: "<2026-03-16", want: true},
		"slashes are accepted":             {filter: "<=2026/03/15", want: true},
		"time precision compares time":     {filter: ">2026-03-15T13:00:00", want: true},
		"RFC 3339 with zone":               {filter: "<2026-03-15T14:00:00Z", want: true},
		"not a date is refused":            {filter: ">=yesterday", wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := matchTime(tc.filter, at)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("matchTime(%q) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

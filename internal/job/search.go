package job

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// SearchDetail is the advanced training search (GET /training/search):
// id and date ranges, and keyword fields. A keyword field holds words
// separated by spaces; a job matches when it contains every word (or any,
// with the field's Or flag); a word starting with '!' must not occur.
type SearchDetail struct {
	IDLower        *int64 `json:"idLower,omitempty"`
	IDUpper        *int64 `json:"idUpper,omitempty"`
	Name           string `json:"name,omitempty"`
	NameOr         bool   `json:"nameOr,omitempty"`
	ParentName     string `json:"parentName,omitempty"`
	ParentNameOr   bool   `json:"parentNameOr,omitempty"`
	StartedAtLower string `json:"startedAtLower,omitempty"`
	StartedAtUpper string `json:"startedAtUpper,omitempty"`
	StartedBy      string `json:"startedBy,omitempty"`
	StartedByOr    bool   `json:"startedByOr,omitempty"`
	DataSet        string `json:"dataSet,omitempty"`
	DataSetOr      bool   `json:"dataSetOr,omitempty"`
	Memo           string `json:"memo,omitempty"`
	MemoOr         bool   `json:"memoOr,omitempty"`
	Status         string `json:"status,omitempty"`
	StatusOr       bool   `json:"statusOr,omitempty"`
	EntryPoint     string `json:"entryPoint,omitempty"`
	EntryPointOr   bool   `json:"entryPointOr,omitempty"`
	Tags           string `json:"tags,omitempty"`
	TagsOr         bool   `json:"tagsOr,omitempty"`
}

func parseDay(s string, end bool) (time.Time, bool, error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			if end && len(s) <= 10 {
				t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
			}
			return t, true, nil
		}
	}
	return time.Time{}, false, apperr.Invalid("%q is not a date (use 2026-01-31)", s)
}

// keywords reports whether any of values matches the words of field.
func keywords(field string, or bool, values ...string) bool {
	words := strings.Fields(field)
	if len(words) == 0 {
		return true
	}
	hay := strings.ToLower(strings.Join(values, "\x00"))
	hit := func(w string) bool {
		if neg, ok := strings.CutPrefix(w, "!"); ok {
			return !strings.Contains(hay, strings.ToLower(neg))
		}
		return strings.Contains(hay, strings.ToLower(w))
	}
	if or {
		return slices.ContainsFunc(words, hit)
	}
	for _, w := range words {
		if !hit(w) {
			return false
		}
	}
	return true
}

// Search returns the trainings that match every given condition.
func (s *Service) Search(ctx context.Context, c SearchDetail) ([]View, error) {
	from, hasFrom, err := parseDay(c.StartedAtLower, false)
	if err != nil {
		return nil, err
	}
	to, hasTo, err := parseDay(c.StartedAtUpper, true)
	if err != nil {
		return nil, err
	}
	all, err := s.List(ctx, Training)
	if err != nil {
		return nil, err
	}
	out := []View{}
	for _, v := range all {
		ds := ""
		if v.DataSet != nil {
			ds = v.DataSet.Name
		}
		switch {
		case c.IDLower != nil && v.ID < *c.IDLower, c.IDUpper != nil && v.ID > *c.IDUpper,
			hasFrom && v.CreatedAt.Before(from), hasTo && v.CreatedAt.After(to),
			!keywords(c.Name, c.NameOr, v.Name), !keywords(c.ParentName, c.ParentNameOr, v.ParentFullNameList...),
			!keywords(c.StartedBy, c.StartedByOr, v.CreatedBy), !keywords(c.DataSet, c.DataSetOr, ds),
			!keywords(c.Memo, c.MemoOr, v.Memo), !keywords(c.Status, c.StatusOr, v.Status),
			!keywords(c.EntryPoint, c.EntryPointOr, v.EntryPoint), !keywordTags(c.Tags, c.TagsOr, v.Tags):
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

// keywordTags matches tags exactly, not as substrings.
func keywordTags(field string, or bool, tags []string) bool {
	words := strings.Fields(field)
	if len(words) == 0 {
		return true
	}
	hit := func(w string) bool {
		if neg, ok := strings.CutPrefix(w, "!"); ok {
			return !slices.Contains(tags, neg)
		}
		return slices.Contains(tags, w)
	}
	if or {
		return slices.ContainsFunc(words, hit)
	}
	for _, w := range words {
		if !hit(w) {
			return false
		}
	}
	return true
}

// SearchFill is the candidates the search form offers.
type SearchFill struct {
	CreatedBy []string `json:"createdBy"`
	Status    []string `json:"status"`
	Tags      []string `json:"tags"`
	Datasets  []string `json:"datasets"`
}

// Fill lists the values found in the tenant's trainings.
func (s *Service) Fill(ctx context.Context) (SearchFill, error) {
	all, err := s.List(ctx, Training)
	if err != nil {
		return SearchFill{}, err
	}
	sets := [4]map[string]bool{{}, {}, {}, {}}
	for _, v := range all {
		sets[0][v.CreatedBy] = true
		sets[1][v.Status] = true
		for _, t := range v.Tags {
			sets[2][t] = true
		}
		if v.DataSet != nil {
			sets[3][v.DataSet.Name] = true
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return SearchFill{CreatedBy: keys(sets[0]), Status: keys(sets[1]), Tags: keys(sets[2]), Datasets: keys(sets[3])}, nil
}

// SavedSearch is a saved search condition of the caller.
type SavedSearch struct {
	audit.View
	ID           int64        `json:"id"`
	Name         string       `json:"name"`
	SearchDetail SearchDetail `json:"searchDetail"`
}

// SavedSearchInput is POST /training/search-history.
type SavedSearchInput struct {
	Name                   string       `json:"name"`
	SearchDetailInputModel SearchDetail `json:"searchDetailInputModel"`
}

// SavedSearches lists the caller's saved conditions in the tenant.
func (s *Service) SavedSearches(ctx context.Context) ([]SavedSearch, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Q().SearchHistories(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]SavedSearch, len(rows))
	for i, r := range rows {
		out[i] = SavedSearch{View: audit.Of(r.Audit), ID: r.ID, Name: r.Name}
		_ = json.Unmarshal([]byte(r.Detail), &out[i].SearchDetail)
	}
	return out, nil
}

// SaveSearch stores a condition; the name needs at least 4 characters.
func (s *Service) SaveSearch(ctx context.Context, in SavedSearchInput) (SavedSearch, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return SavedSearch{}, err
	}
	name := strings.TrimSpace(in.Name)
	if len([]rune(name)) < 4 || len(name) > maxNameLen {
		return SavedSearch{}, apperr.Invalid("name must be 4 to %d characters", maxNameLen)
	}
	detail, _ := json.Marshal(in.SearchDetailInputModel)
	now := s.now()
	id, err := s.db.Q().InsertSearchHistory(ctx, store.SearchHistory{TenantID: p.TenantID, UserID: p.UserID, Name: name,
		Detail: string(detail)}, p.UserName, now)
	if err != nil {
		return SavedSearch{}, err
	}
	return SavedSearch{View: audit.View{CreatedBy: p.UserName, CreatedAt: now, ModifiedBy: p.UserName, ModifiedAt: now},
		ID: id, Name: name, SearchDetail: in.SearchDetailInputModel}, nil
}

// DeleteSearch removes one of the caller's saved conditions.
func (s *Service) DeleteSearch(ctx context.Context, id int64) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	n, err := s.db.Q().DeleteSearchHistory(ctx, p.TenantID, p.UserID, id)
	if err == nil && n == 0 {
		return apperr.NotFound("saved search %d is not found", id)
	}
	return err
}

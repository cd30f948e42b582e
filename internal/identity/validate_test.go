package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

func TestCheckTenantName(t *testing.T) {
	for name, tc := range map[string]struct {
		in string
		ok bool
	}{
		"lower-case word":            {"team", true},
		"with digits and dashes":     {"team-a-2", true},
		"single letter":              {"a", true},
		"128 characters":             {strings.Repeat("a", 128), true},
		"129 characters":             {strings.Repeat("a", 129), false},
		"upper case":                 {"Team", false},
		"starts with a digit":        {"1team", false},
		"starts with a dash":         {"-a", false},
		"ends with a dash":           {"a-", false},
		"underscore":                 {"team_a", false},
		"blank":                      {"  ", false},
		"kqi- prefix is reserved":    {"kqi-system", false},
		"kube- prefix is reserved":   {"kube-public", false},
		"default namespace reserved": {"default", false},
		"multibyte":                  {"チーム", false},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkTenantName(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("checkTenantName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("error kind: %v", err)
			}
		})
	}
}

func TestCheckUserName(t *testing.T) {
	for name, tc := range map[string]struct {
		in string
		ok bool
	}{
		"plain":                  {"alice", true},
		"e-mail like":            {"alice.b@example.com", true},
		"with dash and under":    {"a_b-c", true},
		"single character":       {"a", true},
		"starts with a dot":      {".alice", false},
		"ends with a dot":        {"alice.", false},
		"starts with a dash":     {"-x", false},
		"space":                  {"a b", false},
		"slash":                  {"a/b", false},
		"empty":                  {"", false},
		"over the length bound":  {strings.Repeat("a", 129), false},
		"multibyte is not a-z":   {"ユーザ", false},
		"upper case is accepted": {"Alice", true},
	} {
		t.Run(name, func(t *testing.T) {
			if err := checkUserName(tc.in); tc.ok != (err == nil) {
				t.Fatalf("checkUserName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
		})
	}
}

func TestDedupeKeepsOrder(t *testing.T) {
	if diff := cmp.Diff([]int64{3, 1, 2}, dedupe([]int64{3, 1, 3, 2, 1})); diff != "" {
		t.Errorf("dedupe (-want +got):\n%s", diff)
	}
}

func TestMenuTreeAndList(t *testing.T) {
	researcher := &auth.Principal{Menus: map[string]bool{"Data": true, "Training": true}}
	admin := &auth.Principal{Menus: map[string]bool{"Tenant": true, "User": true, "TenantSetting": true}}

	gotTree := MenuTree(researcher, "en")
	wantTree := []MenuItem{
		{Label: "Dashboard", URL: "/"},
		{Label: "Data", URL: "/data", Category: "pl-data"},
		{Label: "Training", URL: "/training", Category: "pl-training"},
	}
	if diff := cmp.Diff(wantTree, gotTree); diff != "" {
		t.Errorf("researcher tree (-want +got):\n%s", diff)
	}

	gotTree = MenuTree(admin, "ja")
	wantTree = []MenuItem{
		{Label: "ダッシュボード", URL: "/"},
		{Label: "テナント設定", Category: "pl-tenant", Children: []MenuItem{{Label: "接続テナント設定", URL: "/manage/tenant"}}},
		{Label: "システム管理", Category: "pl-system", Children: []MenuItem{
			{Label: "テナント", URL: "/tenant"}, {Label: "ユーザ", URL: "/user"}}},
	}
	if diff := cmp.Diff(wantTree, gotTree); diff != "" {
		t.Errorf("admin tree (-want +got):\n%s", diff)
	}

	cards := MenuList(researcher, "en")
	var names []string
	for _, c := range cards {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Data", "Training"}, names); diff != "" {
		t.Errorf("dashboard cards (-want +got):\n%s", diff)
	}
	if got := MenuList(admin, "en"); len(got) != 0 {
		t.Errorf("admin without tenant roles sees cards %v", got)
	}
}

package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

// researcher holds the Training and Inference tenant menus and one system
// menu, User.
func researcher() *auth.Principal {
	return &auth.Principal{
		UserID: 2, UserName: "bob", TenantID: 1, TenantName: "sandbox",
		TenantRoleIDs: []int64{2}, SystemRoleIDs: []int64{4},
		Menus: map[string]bool{auth.MenuCodeTraining: true, auth.MenuCodeInference: true, auth.MenuCodeUser: true},
	}
}

func TestPrincipalCanAccess(t *testing.T) {
	cases := map[string]struct {
		p    *auth.Principal
		code string
		want bool
	}{
		"a public menu is open to anyone":                   {p: &auth.Principal{}, code: auth.MenuCodeLogin, want: true},
		"an internal menu is open to any logged-in user":    {p: &auth.Principal{}, code: auth.MenuCodeAccount, want: true},
		"the dashboard is an internal menu":                 {p: &auth.Principal{}, code: auth.MenuCodeDashBoard, want: true},
		"a tenant menu the roles grant is open":             {p: researcher(), code: auth.MenuCodeTraining, want: true},
		"a tenant menu the roles do not grant is closed":    {p: researcher(), code: auth.MenuCodeData, want: false},
		"a tenant menu is closed to a user without menus":   {p: &auth.Principal{}, code: auth.MenuCodeTraining, want: false},
		"a system menu the roles grant is open":             {p: researcher(), code: auth.MenuCodeUser, want: true},
		"a system menu the roles do not grant is closed":    {p: researcher(), code: auth.MenuCodeTenant, want: false},
		"an unknown code is closed even when in the grants": {p: &auth.Principal{Menus: map[string]bool{"Secret": true}}, code: "Secret", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.CanAccess(tc.code); got != tc.want {
				t.Errorf("CanAccess(%q) = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func TestPrincipalRequireAny(t *testing.T) {
	cases := map[string]struct {
		codes      []string
		wantPermit string // X-Permit-MenuCode of the 403; "" means allowed
	}{
		"no menu asked is allowed":                  {},
		"an internal menu is allowed":               {codes: []string{auth.MenuCodeAccount}},
		"a granted tenant menu is allowed":          {codes: []string{auth.MenuCodeTraining}},
		"a granted system menu is allowed":          {codes: []string{auth.MenuCodeUser}},
		"one granted menu among several is enough":  {codes: []string{auth.MenuCodeData, auth.MenuCodeInference}},
		"a tenant menu not granted is forbidden":    {codes: []string{auth.MenuCodeData}, wantPermit: "Data"},
		"a system menu not granted is forbidden":    {codes: []string{auth.MenuCodeTenant}, wantPermit: "Tenant"},
		"the header names every menu that would do": {codes: []string{auth.MenuCodeData, auth.MenuCodeDataSet}, wantPermit: "Data,DataSet"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := researcher().RequireAny(tc.codes...)
			if tc.wantPermit == "" {
				if err != nil {
					t.Fatalf("RequireAny = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, apperr.ErrForbidden) {
				t.Fatalf("RequireAny = %v, want a forbidden error", err)
			}
			e, _ := apperr.As(err)
			want := map[string]string{"X-Permit-MenuCode": tc.wantPermit}
			if diff := cmp.Diff(want, e.Header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, err := auth.FromContext(context.Background()); !errors.Is(err, apperr.ErrUnauthorized) {
		t.Errorf("FromContext without a principal = %v, want an unauthorized error", err)
	}
	p := researcher()
	got, err := auth.FromContext(auth.WithPrincipal(context.Background(), p))
	if err != nil || got != p {
		t.Errorf("FromContext = %v, %v; want the principal stored", got, err)
	}
}

func TestMenuCatalogue(t *testing.T) {
	codes, ids := map[string]bool{}, map[int]bool{}
	for _, m := range auth.Menus {
		if codes[m.Code] || ids[m.ID] {
			t.Errorf("menu %s (id %d) is listed twice", m.Code, m.ID)
		}
		codes[m.Code], ids[m.ID] = true, true
		if byCode, _ := auth.MenuByCode(m.Code); byCode.ID != m.ID {
			t.Errorf("MenuByCode(%s).ID = %d, want %d", m.Code, byCode.ID, m.ID)
		}
		if byID, _ := auth.MenuByID(m.ID); byID.Code != m.Code {
			t.Errorf("MenuByID(%d).Code = %s, want %s", m.ID, byID.Code, m.Code)
		}
		if _, ok := auth.MenuTypeNames[m.Type]; !ok {
			t.Errorf("menu %s has type %d without a name", m.Code, m.Type)
		}
	}
	if _, ok := auth.MenuByCode("Nope"); ok {
		t.Error("MenuByCode found an unknown code")
	}
}

package auth

import (
	"context"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Principal is the caller of one request, rebuilt from the database for every
// request so that role and membership changes apply at once. Its TenantID is
// the only tenant any tenant-scoped query may use.
type Principal struct {
	UserID        int64
	UserName      string
	TenantID      int64
	TenantName    string
	SystemRoleIDs []int64
	TenantRoleIDs []int64
	// Menus are the codes of Tenant and System menus the caller's roles grant.
	Menus map[string]bool
	// Job is the job a job token was issued to ("" for a login token).
	Job string
}

// CanAccess reports whether the caller may open menu code.
func (p *Principal) CanAccess(code string) bool {
	m, ok := MenuByCode(code)
	if !ok {
		return false
	}
	if m.Type == MenuPublic || m.Type == MenuInternal {
		return true
	}
	return p.Menus[code]
}

// RequireAny returns nil when the caller may open any of the menus, otherwise
// the 403 that names them in X-Permit-MenuCode.
func (p *Principal) RequireAny(codes ...string) error {
	if len(codes) == 0 {
		return nil
	}
	for _, c := range codes {
		if p.CanAccess(c) {
			return nil
		}
	}
	return apperr.Forbidden("You do not have permission to use this function.").
		WithDetail("ask an administrator for a role that grants the menu %s", strings.Join(codes, " or ")).
		WithHeader("X-Permit-MenuCode", strings.Join(codes, ","))
}

// IsAdmin reports whether the caller holds any system role.
func (p *Principal) IsAdmin() bool { return len(p.SystemRoleIDs) > 0 }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal; domain code that needs one
// and finds none refuses with 401 rather than guessing a tenant.
func FromContext(ctx context.Context) (*Principal, error) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	if !ok || p == nil {
		return nil, apperr.Unauthorized("The access code is required.")
	}
	return p, nil
}

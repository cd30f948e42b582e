// Package identity is the identity and tenancy domain: login and tokens,
// the caller's account, tenants, users, roles and the role × menu matrix.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/egress"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// AdminName is the seeded administrator, which cannot be deleted.
const AdminName = "admin"

// AdminsRole is the seeded system role that the admin user always keeps.
const AdminsRole = "admins"

// SandboxName is the seeded tenant, which cannot be deleted.
const SandboxName = "sandbox"

// dummyHash is checked for unknown user names so that they cost what a
// real check costs. A constant: hashing one at start-up would add tens of
// milliseconds and 19 MiB to every start, and it guards nothing secret.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$9bu8hplXcFVdReJbHb/1eg$kymf+M5pwhnbWZC77Y1AXHa5qOWUeC4nOfL/d+PX7iA"

// addrFailureFactor: one client address may fail this many times the
// per-user limit, summed over all user names, before it is refused.
const addrFailureFactor = 5

// Service implements the identity domain on the store.
type Service struct {
	db            *store.DB
	tokens        *auth.Tokens
	limiter       *auth.LoginLimiter // per user name and client address
	addrLimiter   *auth.LoginLimiter // per client address, against spraying many user names
	hasher        *auth.Hasher       // bounds concurrent argon2id work
	loginMax      int
	loginWindow   time.Duration
	now           func() time.Time
	log           *slog.Logger
	tokenLifetime time.Duration
	http          *http.Client
	secrets       *secret.Box
	tenantStorage func(ctx context.Context, storageID int64, tenant string) error
	jobActive     func(ctx context.Context, key string) (bool, error)
	tenantHook    TenantHook
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source (tests use a fake one).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithTokenLifetime sets the lifetime of tokens when the client asks for none.
func WithTokenLifetime(d time.Duration) Option { return func(s *Service) { s.tokenLifetime = d } }

// WithLoginLimit sets how many failed logins per user and address are
// allowed within window.
func WithLoginLimit(max int, window time.Duration) Option {
	return func(s *Service) { s.loginMax, s.loginWindow = max, window }
}

// WithSecrets sets the box that encrypts stored credentials.
func WithSecrets(b *secret.Box) Option { return func(s *Service) { s.secrets = b } }

// WithTenantStorage sets what prepares a tenant's place on a storage (a
// directory or bucket) when a tenant is created or moved to another one.
func WithTenantStorage(prepare func(ctx context.Context, storageID int64, tenant string) error) Option {
	return func(s *Service) { s.tenantStorage = prepare }
}

// WithHTTPClient sets the client used for outgoing webhooks; the default
// refuses internal addresses (see package egress).
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.http = c } }

// New returns the identity service; it reads (or creates) the token secret.
func New(ctx context.Context, db *store.DB, opts ...Option) (*Service, error) {
	s := &Service{db: db, now: time.Now, log: slog.Default(), tokenLifetime: 240 * time.Hour,
		loginMax: 10, loginWindow: 15 * time.Minute, hasher: auth.NewHasher(0, 256), http: egress.Policy{}.Client(10 * time.Second)}
	for _, o := range opts {
		o(s)
	}
	s.limiter = auth.NewLoginLimiter(s.loginMax, s.loginWindow, s.now)
	s.addrLimiter = auth.NewLoginLimiter(s.loginMax*addrFailureFactor, s.loginWindow, s.now)
	if s.secrets == nil {
		return nil, errors.New("identity: WithSecrets is required")
	}
	key, err := db.JWTSecret(ctx)
	if err != nil {
		return nil, err
	}
	s.tokens = auth.NewTokens(key, s.now)
	return s, nil
}

// Bootstrap creates the admin user on first start: with password when set,
// otherwise with a random one that it returns so the caller can print it once.
func (s *Service) Bootstrap(ctx context.Context, password string) (generated string, err error) {
	n, err := s.db.Q().CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if password == "" {
		if password, err = auth.RandomPassword(); err != nil {
			return "", err
		}
		generated = password
	} else if err := auth.CheckPassword(password); err != nil {
		return "", fmt.Errorf("KAMONOHASHI_ADMIN_PASSWORD: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		sandbox, err := q.TenantByName(ctx, SandboxName)
		if err != nil {
			return fmt.Errorf("seed tenant %s: %w", SandboxName, err)
		}
		roles, err := q.ListRoles(ctx)
		if err != nil {
			return err
		}
		byName := map[string]int64{}
		for _, r := range roles {
			byName[r.Name] = r.ID
		}
		id, err := q.InsertUser(ctx, store.User{Name: AdminName, DisplayName: AdminName,
			DefaultTenantID: store.NullInt(sandbox.ID), ServiceType: store.UserServiceLocal, PasswordHash: hash}, "system", s.now())
		if err != nil {
			return err
		}
		if err := q.AddMembership(ctx, id, sandbox.ID); err != nil {
			return err
		}
		if err := q.SetUserRoles(ctx, id, 0, []int64{byName[AdminsRole]}); err != nil {
			return err
		}
		return q.SetUserRoles(ctx, id, sandbox.ID, []int64{byName["researchers"], byName["managers"]})
	})
	if store.IsUnique(err) {
		return "", nil // another replica seeded it first
	}
	if err != nil {
		return "", fmt.Errorf("create admin user: %w", err)
	}
	s.log.Info("created the admin user", "user", AdminName, "tenant", SandboxName)
	return generated, nil
}

// Authenticate turns a bearer token into the request's principal, checking
// against the database that the user still exists, the token was not revoked
// by a password change and the user still belongs to the token's tenant.
func (s *Service) Authenticate(ctx context.Context, token string) (*auth.Principal, error) {
	v, err := s.tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	if err := s.checkJobToken(ctx, v.Job); err != nil {
		return nil, err
	}
	q := s.db.Q()
	u, err := q.UserByID(ctx, v.UserID)
	if errors.Is(err, store.ErrNoRows) || (err == nil && (u.Name != v.UserName || u.TokenGeneration != v.Generation)) {
		return nil, auth.ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	tenant, err := q.MemberTenant(ctx, u.ID, v.TenantID)
	if errors.Is(err, store.ErrNoRows) {
		return nil, auth.ErrBadToken.WithDetail("you no longer belong to the token's tenant, or it was deleted; log in again")
	}
	if err != nil {
		return nil, err
	}
	p, err := s.principal(ctx, u, tenant)
	if p != nil {
		p.Job = v.Job
	}
	return p, err
}

func (s *Service) principal(ctx context.Context, u store.User, t store.Tenant) (*auth.Principal, error) {
	q := s.db.Q()
	roles, err := q.UserRoles(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p := &auth.Principal{UserID: u.ID, UserName: u.Name, TenantID: t.ID, TenantName: t.Name, Menus: map[string]bool{}}
	for _, r := range roles {
		switch {
		case !r.InTenant.Valid && r.IsSystemRole:
			p.SystemRoleIDs = append(p.SystemRoleIDs, r.ID)
		case r.InTenant.Valid && r.InTenant.Int64 == t.ID && !r.IsSystemRole:
			p.TenantRoleIDs = append(p.TenantRoleIDs, r.ID)
		}
	}
	grants, err := q.MenuRolesOf(ctx, slices.Concat(p.SystemRoleIDs, p.TenantRoleIDs))
	if err != nil {
		return nil, err
	}
	// A system menu counts only through a system role, a tenant menu only
	// through a role in the selected tenant.
	for _, g := range grants {
		m, ok := auth.MenuByCode(g.MenuCode)
		if !ok {
			continue
		}
		if (m.Type == auth.MenuSystem && slices.Contains(p.SystemRoleIDs, g.RoleID)) ||
			(m.Type == auth.MenuTenant && slices.Contains(p.TenantRoleIDs, g.RoleID)) {
			p.Menus[g.MenuCode] = true
		}
	}
	return p, nil
}

// notFound turns store.ErrNoRows into a 404 naming the resource.
func notFound(err error, what string, id any) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("%s %v is not found", what, id)
	}
	return err
}

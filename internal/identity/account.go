package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/egress"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// LoginInput is the body of POST /account/login.
type LoginInput struct {
	UserName  string `json:"userName"`
	Password  string `json:"password"`
	TenantID  *int64 `json:"tenantId,omitempty"`
	ExpiresIn *int64 `json:"expiresIn,omitempty"` // seconds
}

// LoginOutput is a freshly issued token.
type LoginOutput struct {
	Token      string `json:"token"`
	UserName   string `json:"userName"`
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	ExpiresIn  int64  `json:"expiresIn"`
}

// ErrBadCredentials never says whether the user exists.
var ErrBadCredentials = apperr.Invalid("User name or password is incorrect.")

// Login checks the password and issues a token for the requested tenant or
// the user's default tenant. client identifies the caller for rate limiting.
func (s *Service) Login(ctx context.Context, in LoginInput, client string) (LoginOutput, error) {
	name := strings.TrimSpace(in.UserName)
	if name == "" || in.Password == "" {
		return LoginOutput{}, apperr.Invalid("userName and password are required")
	}
	if len(in.Password) > auth.MaxPasswordLength {
		return LoginOutput{}, ErrBadCredentials
	}
	lifetime, err := s.lifetime(in.ExpiresIn)
	if err != nil {
		return LoginOutput{}, err
	}
	addr := auth.ClientKey(client)
	key := strings.ToLower(name) + "|" + addr
	// Both limiters count the attempt now; whatever turns out not to be a
	// failed guess is taken back below.
	userTry, ok, wait := s.limiter.Begin(key)
	if !ok {
		return LoginOutput{}, tooMany("Too many failed logins.", wait)
	}
	addrTry, ok, wait := s.addrLimiter.Begin(addr)
	if !ok {
		s.limiter.Refund(userTry) // refused before any check: not a guess
		return LoginOutput{}, tooMany("Too many failed logins.", wait)
	}
	refund := func() { s.limiter.Refund(userTry); s.addrLimiter.Refund(addrTry) }
	q := s.db.Q()
	u, err := q.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		refund()
		return LoginOutput{}, err
	}
	hash := u.PasswordHash
	if err != nil || u.ServiceType != store.UserServiceLocal {
		// Spend the time a real check takes, so timing does not tell which names exist.
		hash = dummyHash
	}
	good, verr := s.hasher.Verify(ctx, hash, in.Password)
	if verr != nil { // busy or cancelled: nothing was checked
		refund()
		return LoginOutput{}, verr
	}
	if err != nil || u.ServiceType != store.UserServiceLocal || !good {
		s.log.Warn("login failed", "user", name, "client", client)
		return LoginOutput{}, ErrBadCredentials
	}
	s.limiter.Succeed(key)
	s.addrLimiter.Refund(addrTry) // the address's earlier failures stay: one good account must not reset a spray
	ms, err := q.Memberships(ctx, u.ID)
	if err != nil {
		return LoginOutput{}, err
	}
	if len(ms) == 0 {
		return LoginOutput{}, apperr.Invalid("You belong no tenant. Please contact the administrator.")
	}
	tenant := ms[0].Tenant
	want := int64(0)
	asked := in.TenantID != nil && *in.TenantID != 0 // 0, as older clients send, means "not given"
	if asked {
		want = *in.TenantID
	} else if u.DefaultTenantID.Valid {
		want = u.DefaultTenantID.Int64
	}
	found := want == 0
	for _, m := range ms {
		if m.ID == want {
			tenant, found = m.Tenant, true
		}
	}
	if !found && asked {
		return LoginOutput{}, apperr.Invalid("you do not belong to tenant %d", want)
	}
	return s.issue(u, tenant, lifetime)
}

func tooMany(title string, wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	return (&apperr.Error{Kind: apperr.KindTooMany, Title: title}).
		WithDetail("try again in %d seconds", secs).WithHeader("Retry-After", strconv.Itoa(max(secs, 1)))
}

func (s *Service) lifetime(expiresIn *int64) (time.Duration, error) {
	if expiresIn == nil || *expiresIn == 0 {
		return s.tokenLifetime, nil
	}
	maxSecs := int64(auth.MaxTokenLifetime / time.Second)
	if *expiresIn < 0 || *expiresIn > maxSecs { // checked before multiplying: it could overflow
		return 0, apperr.Invalid("expiresIn %d is out of range", *expiresIn).
			WithDetail("give seconds between 1 and %d (3650 days)", maxSecs)
	}
	return time.Duration(*expiresIn) * time.Second, nil
}

func (s *Service) issue(u store.User, t store.Tenant, lifetime time.Duration) (LoginOutput, error) {
	tok, err := s.tokens.Issue(u.ID, u.Name, t.ID, u.TokenGeneration, lifetime)
	if err != nil {
		return LoginOutput{}, err
	}
	return LoginOutput{Token: tok.Token, UserName: u.Name, TenantID: t.ID, TenantName: t.Name,
		ExpiresIn: int64(tok.ExpiresIn / time.Second)}, nil
}

// SwitchTenant issues a new token for another tenant of the caller; it is
// also how the CLI mints long-lived access tokens (expiresIn).
func (s *Service) SwitchTenant(ctx context.Context, tenantID int64, expiresIn *int64) (LoginOutput, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return LoginOutput{}, err
	}
	lifetime, err := s.lifetime(expiresIn)
	if err != nil {
		return LoginOutput{}, err
	}
	q := s.db.Q()
	u, err := q.UserByID(ctx, p.UserID)
	if err != nil {
		return LoginOutput{}, err
	}
	ms, err := q.Memberships(ctx, u.ID)
	if err != nil {
		return LoginOutput{}, err
	}
	for _, m := range ms {
		if m.ID == tenantID {
			return s.issue(u, m.Tenant, lifetime)
		}
	}
	return LoginOutput{}, apperr.NotFound("tenant %d is not found among your tenants", tenantID)
}

// AccountOutput describes the caller.
type AccountOutput struct {
	UserID                int64        `json:"userId"`
	UserName              string       `json:"userName"`
	DisplayName           string       `json:"displayName"`
	PasswordChangeEnabled bool         `json:"passwordChangeEnabled"`
	SelectedTenant        *TenantInfo  `json:"selectedTenant"`
	DefaultTenant         *TenantInfo  `json:"defaultTenant"`
	Tenants               []TenantInfo `json:"tenants"`
}

// Account returns the caller's account with its tenants and roles.
func (s *Service) Account(ctx context.Context) (AccountOutput, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return AccountOutput{}, err
	}
	q := s.db.Q()
	u, err := q.UserByID(ctx, p.UserID)
	if err != nil {
		return AccountOutput{}, err
	}
	ms, err := q.Memberships(ctx, u.ID)
	if err != nil {
		return AccountOutput{}, err
	}
	roles, err := q.UserRoles(ctx, u.ID)
	if err != nil {
		return AccountOutput{}, err
	}
	out := AccountOutput{UserID: u.ID, UserName: u.Name, DisplayName: u.DisplayName,
		PasswordChangeEnabled: u.ServiceType == store.UserServiceLocal, Tenants: userTenants(u, ms, roles)}
	for i := range out.Tenants {
		t := &out.Tenants[i]
		if t.ID == p.TenantID {
			out.SelectedTenant = t
		}
		if t.Default {
			out.DefaultTenant = t
		}
	}
	return out, nil
}

// SetDefaultTenant makes the named tenant the caller's default at login.
func (s *Service) SetDefaultTenant(ctx context.Context, tenantName string) (AccountOutput, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return AccountOutput{}, err
	}
	q := s.db.Q()
	t, err := q.TenantByName(ctx, strings.TrimSpace(tenantName))
	if err != nil {
		return AccountOutput{}, notFound(err, "tenant", tenantName)
	}
	member, err := q.IsMember(ctx, p.UserID, t.ID)
	if err != nil {
		return AccountOutput{}, err
	}
	if !member {
		return AccountOutput{}, apperr.Invalid("you do not belong to tenant %s", t.Name).
			WithDetail("the default tenant must be one of your tenants")
	}
	if err := q.SetDefaultTenant(ctx, p.UserID, t.ID, p.UserName, s.now()); err != nil {
		return AccountOutput{}, err
	}
	return s.Account(ctx)
}

// PasswordInput is the body of PUT /account/password.
type PasswordInput struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// ChangePassword changes the caller's own password; every token issued
// before, including the one used for this call, stops working.
func (s *Service) ChangePassword(ctx context.Context, in PasswordInput) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	u, err := s.db.Q().UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.ServiceType != store.UserServiceLocal {
		return apperr.Invalid("only local users can change their password here")
	}
	// A stolen token must not become a way to guess the password.
	key := "password-change|" + strconv.FormatInt(u.ID, 10)
	try, ok, wait := s.limiter.Begin(key)
	if !ok {
		return tooMany("Too many wrong current passwords.", wait)
	}
	good, err := s.hasher.Verify(ctx, u.PasswordHash, in.CurrentPassword)
	if err != nil {
		s.limiter.Refund(try)
		return err
	}
	if !good {
		return apperr.Invalid("current password is incorrect")
	}
	s.limiter.Succeed(key)
	if in.NewPassword == in.CurrentPassword {
		return apperr.Invalid("new password must differ from the current one")
	}
	return s.setPassword(ctx, u.ID, in.NewPassword, p.UserName)
}

func (s *Service) setPassword(ctx context.Context, userID int64, pw, by string) error {
	if err := auth.CheckPassword(pw); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	return notFound(s.db.Q().SetPassword(ctx, userID, hash, by, s.now()), "user", userID)
}

// SetOwnDisplayName changes the caller's display name.
func (s *Service) SetOwnDisplayName(ctx context.Context, name string) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	if err := checkDisplayName(name, true); err != nil {
		return err
	}
	return s.db.Q().SetDisplayName(ctx, p.UserID, strings.TrimSpace(name), p.UserName, s.now())
}

// Webhook is the caller's Slack-compatible notification target.
type Webhook struct {
	SlackURL string `json:"slackUrl"`
	Mention  string `json:"mention"`
}

func checkWebhook(w Webhook) error {
	if w.SlackURL == "" {
		return nil
	}
	u, err := url.Parse(w.SlackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid("slackUrl %q is not an http(s) URL", w.SlackURL)
	}
	if len(w.SlackURL) > 2048 || len(w.Mention) > 256 {
		return apperr.Invalid("slackUrl or mention is too long")
	}
	return nil
}

// GetWebhook returns the caller's webhook settings.
func (s *Service) GetWebhook(ctx context.Context) (Webhook, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return Webhook{}, err
	}
	u, err := s.db.Q().UserByID(ctx, p.UserID)
	return Webhook{SlackURL: u.SlackURL, Mention: u.Mention}, err
}

// SetWebhook stores the caller's webhook settings (empty URL = none).
func (s *Service) SetWebhook(ctx context.Context, w Webhook) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	if err := checkWebhook(w); err != nil {
		return err
	}
	return s.db.Q().SetSlack(ctx, p.UserID, w.SlackURL, w.Mention, p.UserName, s.now())
}

// TestWebhook posts a test message to w and reports whether it was accepted.
func (s *Service) TestWebhook(ctx context.Context, w Webhook) (bool, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return false, err
	}
	if w.SlackURL == "" {
		return false, apperr.Invalid("slackUrl is required")
	}
	if err := checkWebhook(w); err != nil {
		return false, err
	}
	text := fmt.Sprintf("KAMONOHASHI test notification for %s (tenant %s)", p.UserName, p.TenantName)
	if w.Mention != "" {
		text = "<@" + w.Mention + "> " + text
	}
	ok, err := s.postWebhook(ctx, w.SlackURL, text)
	if errors.Is(err, egress.ErrRefused) {
		// The address stays in the server log: telling it to the caller
		// would turn the button into a resolver of internal names.
		return false, apperr.Invalid("slackUrl points to an internal address").
			WithDetail("ask the administrator to allow its network (webhook-allowed-networks)")
	}
	return ok, nil
}

// postWebhook sends a Slack-compatible message and reports whether it was
// accepted. Failures are logged; the error is returned too so that the test
// button can say why, but a notification must never fail an operation.
func (s *Service) postWebhook(ctx context.Context, target, text string) (bool, error) {
	body, _ := json.Marshal(map[string]string{"text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		s.log.Warn("webhook failed", "error", err)
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.log.Warn("webhook refused", "status", resp.StatusCode)
		return false, nil
	}
	return true, nil
}

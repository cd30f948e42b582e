package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// MaxTokenLifetime is the longest access token a user may ask for (3650 days).
const MaxTokenLifetime = 3650 * 24 * time.Hour

// Issuer and audience of our tokens.
const (
	tokenIssuer   = "kamonohashi"
	tokenAudience = "kamonohashi-api"
)

// Claims are the token's contents: who, which tenant, and the user's token
// generation at issue time (a password change bumps it and revokes the token).
type Claims struct {
	UserName   string `json:"name"`
	TenantID   string `json:"groupsid"`
	Generation int64  `json:"gen"`
	// Job, when set, names the job the token was issued to; the token is
	// valid only while that job runs.
	Job string `json:"job,omitempty"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies HS256 tokens with the install's secret.
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens returns a token service; now is the clock.
func NewTokens(secret []byte, now func() time.Time) *Tokens {
	return &Tokens{secret: secret, now: now}
}

// Issued is a signed token and its lifetime.
type Issued struct {
	Token     string
	ExpiresIn time.Duration
}

// Issue signs a token for user in tenant, valid for lifetime.
func (t *Tokens) Issue(userID int64, userName string, tenantID, generation int64, lifetime time.Duration) (Issued, error) {
	return t.issue(userID, userName, tenantID, generation, "", lifetime)
}

// IssueJob signs a token for the code of job key, which the verifier
// accepts only while that job runs.
func (t *Tokens) IssueJob(userID int64, userName string, tenantID, generation int64, key string, lifetime time.Duration) (Issued, error) {
	return t.issue(userID, userName, tenantID, generation, key, lifetime)
}

func (t *Tokens) issue(userID int64, userName string, tenantID, generation int64, job string, lifetime time.Duration) (Issued, error) {
	now := t.now().Truncate(time.Second)
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return Issued{}, err
	}
	c := Claims{
		UserName: userName, TenantID: strconv.FormatInt(tenantID, 10), Generation: generation, Job: job,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Audience: jwt.ClaimStrings{tokenAudience},
			Subject: strconv.FormatInt(userID, 10), ID: hex.EncodeToString(jti),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return Issued{}, fmt.Errorf("sign token: %w", err)
	}
	return Issued{Token: s, ExpiresIn: lifetime}, nil
}

// ErrBadToken is the 401 for any token that does not verify; the detail
// never says which check failed.
var ErrBadToken = apperr.Unauthorized("The access code is expired or invalid.").
	WithDetail("log in again to get a new token")

// Verified is what a valid token says.
type Verified struct {
	UserID     int64
	UserName   string
	TenantID   int64
	Generation int64
	Job        string // the job the token belongs to, or ""
}

// Verify checks signature, algorithm, issuer, audience and lifetime.
func (t *Tokens) Verify(token string) (Verified, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer), jwt.WithAudience(tokenAudience),
		jwt.WithTimeFunc(t.now), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		return Verified{}, ErrBadToken.Wrap(err)
	}
	uid, err1 := strconv.ParseInt(c.Subject, 10, 64)
	tid, err2 := strconv.ParseInt(c.TenantID, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Verified{}, ErrBadToken.Wrap(err)
	}
	return Verified{UserID: uid, UserName: c.UserName, TenantID: tid, Generation: c.Generation, Job: c.Job}, nil
}

package auth_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	epoch  = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
)

// clock is a settable fake time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock(t time.Time) *clock        { return &clock{t: t} }

// sign makes a token with the given claims, method and key, for tokens that
// Issue would never produce.
func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validClaims are the claims Issue would write at epoch for an hour.
func validClaims() *auth.Claims {
	return &auth.Claims{
		UserName: "alice", TenantID: "7", Generation: 3,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "kamonohashi", Audience: jwt.ClaimStrings{"kamonohashi-api"}, Subject: "42",
			IssuedAt: jwt.NewNumericDate(epoch), NotBefore: jwt.NewNumericDate(epoch),
			ExpiresAt: jwt.NewNumericDate(epoch.Add(time.Hour)),
		},
	}
}

func TestTokensIssueThenVerify(t *testing.T) {
	clk := newClock(epoch)
	tokens := auth.NewTokens(secret, clk.Now)
	issued, err := tokens.Issue(42, "alice", 7, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if issued.ExpiresIn != time.Hour {
		t.Errorf("ExpiresIn = %v, want 1h", issued.ExpiresIn)
	}
	clk.Advance(time.Hour - time.Second)
	got, err := tokens.Verify(issued.Token)
	if err != nil {
		t.Fatalf("Verify a second before expiry: %v", err)
	}
	want := auth.Verified{UserID: 42, UserName: "alice", TenantID: 7, Generation: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify (-want +got):\n%s", diff)
	}
}

func TestTokensVerifyRefuses(t *testing.T) {
	issue := func(t *testing.T) string {
		iss, err := auth.NewTokens(secret, newClock(epoch).Now).Issue(42, "alice", 7, 3, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return iss.Token
	}
	cases := map[string]struct {
		token func(t *testing.T) string
		now   time.Time
	}{
		"an expired token": {
			token: issue, now: epoch.Add(time.Hour + time.Second),
		},
		"a token from the future (issued after now)": {
			token: issue, now: epoch.Add(-time.Minute),
		},
		"a token signed with another secret": {
			token: func(t *testing.T) string {
				iss, err := auth.NewTokens([]byte("another secret, not ours at all"), newClock(epoch).Now).Issue(42, "alice", 7, 3, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				return iss.Token
			},
			now: epoch,
		},
		"a token whose payload was changed after signing": {
			token: func(t *testing.T) string {
				parts := strings.Split(issue(t), ".")
				c := validClaims()
				c.Subject = "1" // become user 1
				forged := strings.Split(sign(t, jwt.SigningMethodHS256, []byte("x"), c), ".")[1]
				return parts[0] + "." + forged + "." + parts[2]
			},
			now: epoch,
		},
		"a token with alg none": {
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims())
			},
			now: epoch,
		},
		"an unsigned token that claims HS256": {
			token: func(t *testing.T) string {
				parts := strings.Split(issue(t), ".")
				return parts[0] + "." + parts[1] + "."
			},
			now: epoch,
		},
		"a token signed with HS512": {
			token: func(t *testing.T) string { return sign(t, jwt.SigningMethodHS512, secret, validClaims()) },
			now:   epoch,
		},
		"a token from another issuer": {
			token: func(t *testing.T) string {
				c := validClaims()
				c.Issuer = "someone-else"
				return sign(t, jwt.SigningMethodHS256, secret, c)
			},
			now: epoch,
		},
		"a token for another audience": {
			token: func(t *testing.T) string {
				c := validClaims()
				c.Audience = jwt.ClaimStrings{"another-api"}
				return sign(t, jwt.SigningMethodHS256, secret, c)
			},
			now: epoch,
		},
		"a token without expiry": {
			token: func(t *testing.T) string {
				c := validClaims()
				c.ExpiresAt = nil
				return sign(t, jwt.SigningMethodHS256, secret, c)
			},
			now: epoch,
		},
		"a token whose subject is not a user id": {
			token: func(t *testing.T) string {
				c := validClaims()
				c.Subject = "alice"
				return sign(t, jwt.SigningMethodHS256, secret, c)
			},
			now: epoch,
		},
		"a token whose tenant is not an id": {
			token: func(t *testing.T) string {
				c := validClaims()
				c.TenantID = ""
				return sign(t, jwt.SigningMethodHS256, secret, c)
			},
			now: epoch,
		},
		"something that is not a token": {
			token: func(*testing.T) string { return "not-a-token" },
			now:   epoch,
		},
		"an empty token": {
			token: func(*testing.T) string { return "" },
			now:   epoch,
		},
		"a token of garbage base64": {
			token: func(*testing.T) string {
				b := base64.RawURLEncoding.EncodeToString([]byte("{not json"))
				return b + "." + b + "." + b
			},
			now: epoch,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			token := tc.token(t)
			_, err := auth.NewTokens(secret, newClock(tc.now).Now).Verify(token)
			if !errors.Is(err, apperr.ErrUnauthorized) {
				t.Fatalf("Verify = %v, want an unauthorized error", err)
			}
			e, _ := apperr.As(err)
			if diff := cmp.Diff(auth.ErrBadToken.Title, e.Title); diff != "" {
				t.Errorf("title (-want +got):\n%s", diff)
			}
		})
	}
}

// The forging helper must itself be sound: the claims it builds verify when
// signed properly, so each refusal above is due to the one change it names.
func TestValidClaimsVerify(t *testing.T) {
	token := sign(t, jwt.SigningMethodHS256, secret, validClaims())
	got, err := auth.NewTokens(secret, newClock(epoch).Now).Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Verified{UserID: 42, UserName: "alice", TenantID: 7, Generation: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify (-want +got):\n%s", diff)
	}
}

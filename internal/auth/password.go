// Package auth holds the primitives of identity: password hashing and
// policy, signed tokens, the per-request principal, the menu catalogue and
// the login rate limiter.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// MinPasswordLength is the install guide's minimum.
const MinPasswordLength = 8

// MaxPasswordLength bounds the work one login can cause.
const MaxPasswordLength = 256

// CheckPassword applies the password policy to every password set anywhere:
// at least 8 characters and not digits only.
func CheckPassword(pw string) error {
	switch {
	case strings.TrimSpace(pw) == "":
		return apperr.Invalid("password is required")
	case len([]rune(pw)) < MinPasswordLength:
		return apperr.Invalid("password is too short").WithDetail("use at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordLength:
		return apperr.Invalid("password is too long").WithDetail("use at most %d bytes", MaxPasswordLength)
	case isDigits(pw):
		return apperr.Invalid("password must not be digits only").WithDetail("add letters or symbols")
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// argon2id parameters: OWASP's recommendation (19 MiB, 2 passes, 1 lane),
// which keeps concurrent logins from costing hundreds of MiB while staying
// far beyond what an offline attacker can brute-force. Verification reads
// the parameters from the stored hash, so they can be raised later.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the PHC-formatted argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the encoded hash, using the
// parameters stored in the hash so that they can change over time.
func VerifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	// argon2 panics on zero passes or lanes, so a corrupt hash must not reach it.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil ||
		iters < 1 || threads < 1 || iters > 16 || mem > 1<<20 { // bounds: a damaged hash must not cost a GiB per login
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// RandomPassword returns a password that passes the policy, for the first
// admin when none is configured.
func RandomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "kqi-" + base64.RawURLEncoding.EncodeToString(b), nil
}

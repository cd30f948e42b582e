package auth_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

func TestCheckPassword(t *testing.T) {
	cases := map[string]struct {
		pw        string
		wantTitle string // "" means accepted
	}{
		"eight digits are refused as digits only":         {pw: "12345678", wantTitle: "password must not be digits only"},
		"ten digits are refused as digits only":           {pw: "1234567890", wantTitle: "password must not be digits only"},
		"full-width digits are digits too":                {pw: "１２３４５６７８", wantTitle: "password must not be digits only"},
		"a short word is too short":                       {pw: "short", wantTitle: "password is too short"},
		"seven characters are one too few":                {pw: "abcdefg", wantTitle: "password is too short"},
		"an empty password is missing":                    {pw: "", wantTitle: "password is required"},
		"blanks only count as missing":                    {pw: "         ", wantTitle: "password is required"},
		"eight letters are enough":                        {pw: "abcdefgh"},
		"digits with one letter are fine":                 {pw: "1234567a"},
		"eight multi-byte characters count as eight":      {pw: "かものはしかもの"},
		"a long passphrase is fine":                       {pw: "correct horse battery staple, twice over"},
		"exactly the byte limit is fine":                  {pw: strings.Repeat("a", auth.MaxPasswordLength)},
		"one byte over the limit is too long":             {pw: strings.Repeat("a", auth.MaxPasswordLength+1), wantTitle: "password is too long"},
		"multi-byte characters count bytes for the limit": {pw: strings.Repeat("か", 86), wantTitle: "password is too long"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := auth.CheckPassword(tc.pw)
			if tc.wantTitle == "" {
				if err != nil {
					t.Fatalf("CheckPassword = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("CheckPassword = %v, want an invalid-input error", err)
			}
			e, _ := apperr.As(err)
			if e.Title != tc.wantTitle {
				t.Errorf("title = %q, want %q", e.Title, tc.wantTitle)
			}
		})
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse"
	h1, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if parts := strings.Split(h1, "$"); len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		t.Errorf("hash %q is not a PHC string of argon2id version 19", h1)
	}
	if h1 == h2 {
		t.Errorf("two hashes of one password are equal (%q); want distinct salts", h1)
	}
	cases := map[string]struct {
		hash, pw string
		want     bool
	}{
		"the password matches its hash":          {hash: h1, pw: pw, want: true},
		"it matches a second hash with new salt": {hash: h2, pw: pw, want: true},
		"a wrong password does not match":        {hash: h1, pw: "correct horsf"},
		"an empty password does not match":       {hash: h1, pw: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := auth.VerifyPassword(tc.hash, tc.pw); got != tc.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

// phc encodes an argon2id hash of pw with the given parameters.
func phc(pw string, version int, mem, iters uint32, threads uint8) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, iters, mem, threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		version, mem, iters, threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestVerifyPasswordEncodings(t *testing.T) {
	const pw = "correct horse"
	good, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=, params, salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	// flip changes the first character, which (unlike the last, whose low
	// bits are padding) always changes the decoded bytes.
	flip := func(s string) string {
		first := "A"
		if s[0] == 'A' {
			first = "B"
		}
		return first + s[1:]
	}
	cases := map[string]struct {
		hash string
		want bool
	}{
		"other parameters stored in the hash still verify": {hash: phc(pw, argon2.Version, 8*1024, 3, 2), want: true},
		"a tampered key does not verify":                   {hash: with(5, flip(parts[5]))},
		"a tampered salt does not verify":                  {hash: with(4, flip(parts[4]))},
		"a truncated key does not verify":                  {hash: with(5, parts[5][:20])},
		"an empty key does not verify":                     {hash: with(5, "")},
		"a key that is not base64 does not verify":         {hash: with(5, "!!!!")},
		"a salt that is not base64 does not verify":        {hash: with(4, "!!!!")},
		"another argon2 variant does not verify":           {hash: with(1, "argon2i")},
		"another argon2 version does not verify":           {hash: with(2, "v=16")},
		"unreadable parameters do not verify":              {hash: with(3, "m=lots,t=1,p=4")},
		"zero passes do not verify (nor panic)":            {hash: with(3, "m=65536,t=0,p=4")},
		"zero lanes do not verify (nor panic)":             {hash: with(3, "m=65536,t=1,p=0")},
		"too many lanes do not verify":                     {hash: with(3, "m=65536,t=1,p=256")},
		"a missing field does not verify":                  {hash: strings.Join(parts[:5], "$")},
		"an extra field does not verify":                   {hash: good + "$x"},
		"a plain-text password does not verify":            {hash: pw},
		"an empty hash does not verify":                    {hash: ""},
		"a bcrypt hash does not verify":                    {hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := auth.VerifyPassword(tc.hash, pw); got != tc.want {
				t.Errorf("VerifyPassword(%q) = %v, want %v", tc.hash, got, tc.want)
			}
		})
	}
}

func TestRandomPasswordPassesThePolicy(t *testing.T) {
	pw, err := auth.RandomPassword()
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.CheckPassword(pw); err != nil {
		t.Errorf("CheckPassword(%q) = %v, want nil", pw, err)
	}
}

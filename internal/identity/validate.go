package identity

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Length limits for names and free text.
const (
	maxNameLen        = 128
	maxDisplayNameLen = 256
)

// The original's name rules (reference §8).
var (
	tenantNameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	userNameRe   = regexp.MustCompile(`^[a-zA-Z0-9]([-_.@a-zA-Z0-9]*[a-zA-Z0-9])?$`)
	// Role names become labels and identifiers in scripts; keep them simple.
	roleNameRe = regexp.MustCompile(`^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$`)
)

// Namespaces a tenant name must not take (its Kubernetes namespace).
var reservedTenantPrefixes = []string{"kqi-", "kube-"}
var reservedTenantNames = map[string]bool{"default": true, "node-feature-discovery": true}

func checkName(field, v string, re *regexp.Regexp, rule string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return apperr.Invalid("%s is required", field)
	case utf8.RuneCountInString(v) > maxNameLen:
		return apperr.Invalid("%s is too long", field).WithDetail("use at most %d characters", maxNameLen)
	case !re.MatchString(v):
		return apperr.Invalid("%s %q is invalid", field, v).WithDetail("%s", rule)
	}
	return nil
}

func checkTenantName(v string) error {
	if err := checkName("tenantName", v, tenantNameRe,
		"use lower-case letters, digits and '-', starting with a letter and not ending with '-'"); err != nil {
		return err
	}
	for _, p := range reservedTenantPrefixes {
		if strings.HasPrefix(v, p) {
			return apperr.Invalid("tenantName %q is reserved", v).WithDetail("names starting with %q are used by the system", p)
		}
	}
	if reservedTenantNames[v] {
		return apperr.Invalid("tenantName %q is reserved", v).WithDetail("choose another name")
	}
	return nil
}

func checkUserName(v string) error {
	return checkName("name", v, userNameRe,
		"use letters, digits and '-', '_', '.', '@', starting and ending with a letter or digit")
}

func checkRoleName(v string) error {
	return checkName("name", v, roleNameRe,
		"use letters, digits and '-', '_', '.', starting and ending with a letter or digit")
}

// checkDisplayName requires a non-blank display name of bounded length.
func checkDisplayName(v string, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return apperr.Invalid("displayName is required")
	case utf8.RuneCountInString(v) > maxDisplayNameLen:
		return apperr.Invalid("displayName is too long").WithDetail("use at most %d characters", maxDisplayNameLen)
	}
	return nil
}

// dedupe returns ids without repeats, keeping order.
func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

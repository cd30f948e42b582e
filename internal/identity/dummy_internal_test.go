package identity

import (
	"strings"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

// TestDummyHashMatchesParameters: unknown names must cost what real checks
// cost, so the constant must use the parameters new hashes get.
func TestDummyHashMatchesParameters(t *testing.T) {
	real, err := auth.HashPassword("any-password-1")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if params(dummyHash) != params(real) {
		t.Errorf("dummyHash has %q, new hashes %q: regenerate the constant", params(dummyHash), params(real))
	}
	if auth.VerifyPassword(dummyHash, "any-password-1") {
		t.Error("dummyHash accepts a password")
	}
}

package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindsMatchTheirSentinels(t *testing.T) {
	for name, tc := range map[string]struct {
		err      error
		sentinel *Error
		others   []*Error
	}{
		"not found":    {NotFound("user %d is not found", 3), ErrNotFound, []*Error{ErrInvalid, ErrConflict}},
		"invalid":      {Invalid("bad"), ErrInvalid, []*Error{ErrNotFound}},
		"conflict":     {Conflict("dup"), ErrConflict, []*Error{ErrForbidden}},
		"forbidden":    {Forbidden("no"), ErrForbidden, []*Error{ErrUnauthorized}},
		"unauthorized": {Unauthorized("who"), ErrUnauthorized, []*Error{ErrForbidden}},
		"wrapped twice": {fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", Conflict("dup"))),
			ErrConflict, []*Error{ErrInvalid}},
	} {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %s sentinel) = false", tc.err, tc.sentinel.Title)
			}
			for _, o := range tc.others {
				if errors.Is(tc.err, o) {
					t.Errorf("errors.Is(%v, %s sentinel) = true", tc.err, o.Title)
				}
			}
		})
	}
	// Two specific errors of one kind are not each other.
	if errors.Is(NotFound("a"), NotFound("a")) {
		t.Error("distinct non-sentinel errors compare equal")
	}
}

func TestWithersCopy(t *testing.T) {
	base := Forbidden("no")
	withHeader := base.WithHeader("X-Permit-MenuCode", "User").WithDetail("ask for %s", "User")
	if base.Header != nil || base.Detail != "" {
		t.Errorf("WithHeader/WithDetail changed the original: %+v", base)
	}
	if withHeader.Header["X-Permit-MenuCode"] != "User" || withHeader.Detail != "ask for User" {
		t.Errorf("copy lacks header or detail: %+v", withHeader)
	}
	cause := errors.New("disk full")
	wrapped := Invalid("x").Wrap(cause)
	if !errors.Is(wrapped, cause) || !errors.Is(wrapped, ErrInvalid) {
		t.Errorf("Wrap lost the cause or the kind: %v", wrapped)
	}
	if e, ok := As(fmt.Errorf("ctx: %w", wrapped)); !ok || e.Kind != KindInvalid {
		t.Errorf("As did not find the error: %v %v", e, ok)
	}
}

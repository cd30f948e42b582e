// Package apperr defines the error kinds that domain packages return and
// that the API layer turns into KAMONOHASHI error bodies in one place.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; the API maps each kind to one HTTP status.
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindConflict
	KindTooMany
	KindUnavailable
	KindUnsupportedMedia
	KindMethodNotAllowed
	KindBadGateway
)

// Sentinels to test with errors.Is.
var (
	ErrInvalid      = &Error{Kind: KindInvalid, Title: "invalid input"}
	ErrUnauthorized = &Error{Kind: KindUnauthorized, Title: "unauthorized"}
	ErrForbidden    = &Error{Kind: KindForbidden, Title: "forbidden"}
	ErrNotFound     = &Error{Kind: KindNotFound, Title: "not found"}
	ErrConflict     = &Error{Kind: KindConflict, Title: "conflict"}
	ErrTooMany      = &Error{Kind: KindTooMany, Title: "too many requests"}
)

// Error is a user-facing domain error: Title says what was wrong, Detail
// what to do about it.
type Error struct {
	Kind   Kind
	Title  string
	Detail string
	// Header carries response headers the error implies (for example
	// X-Permit-MenuCode on 403 or Retry-After on 429).
	Header map[string]string
	cause  error
}

func (e *Error) Error() string {
	msg := e.Title
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, apperr.ErrNotFound) match any error of that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && isSentinel(t) && t.Kind == e.Kind
}

func isSentinel(t *Error) bool {
	switch t {
	case ErrInvalid, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrTooMany:
		return true
	}
	return false
}

func newf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Title: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input (400).
func Invalid(format string, args ...any) *Error { return newf(KindInvalid, format, args...) }

// NotFound reports a missing resource (404).
func NotFound(format string, args ...any) *Error { return newf(KindNotFound, format, args...) }

// UnsupportedMedia reports a request body in a format the API does not take (415).
func UnsupportedMedia(format string, args ...any) *Error {
	return newf(KindUnsupportedMedia, format, args...)
}

// Unavailable is a 503: a backend (the runner, a storage) cannot serve now.
func Unavailable(format string, args ...any) *Error { return newf(KindUnavailable, format, args...) }

// Conflict reports a state conflict such as a duplicate name (409).
func Conflict(format string, args ...any) *Error { return newf(KindConflict, format, args...) }

// Forbidden reports a missing permission (403).
func Forbidden(format string, args ...any) *Error { return newf(KindForbidden, format, args...) }

// Unauthorized reports missing or bad credentials (401).
func Unauthorized(format string, args ...any) *Error {
	return newf(KindUnauthorized, format, args...)
}

// BadGateway reports that a server we call for the caller (a git server, a
// container registry) could not be reached or answered nonsense (502).
func BadGateway(format string, args ...any) *Error { return newf(KindBadGateway, format, args...) }

// WithDetail returns a copy of e with a detail line.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// WithHeader returns a copy of e that asks the API to set a response header.
func (e *Error) WithHeader(k, v string) *Error {
	c := *e
	c.Header = map[string]string{}
	for hk, hv := range e.Header {
		c.Header[hk] = hv
	}
	c.Header[k] = v
	return &c
}

// Wrap attaches a cause to e (kept out of the user-facing message by the API).
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

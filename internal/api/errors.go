package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// ErrorBody is the KAMONOHASHI error body.
type ErrorBody struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance"`
}

var kindStatus = map[apperr.Kind]int{
	apperr.KindInvalid:          http.StatusBadRequest,
	apperr.KindUnauthorized:     http.StatusUnauthorized,
	apperr.KindForbidden:        http.StatusForbidden,
	apperr.KindNotFound:         http.StatusNotFound,
	apperr.KindConflict:         http.StatusConflict,
	apperr.KindTooMany:          http.StatusTooManyRequests,
	apperr.KindUnavailable:      http.StatusServiceUnavailable,
	apperr.KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.KindMethodNotAllowed: http.StatusMethodNotAllowed,
	apperr.KindBadGateway:       http.StatusBadGateway,
}

// statusType names the status's RFC 9110 section, as ASP.NET did for the original.
var statusType = map[int]string{
	400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
	401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
	403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
	404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
	405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
	409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
	413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
	415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
	429: "https://tools.ietf.org/html/rfc6585#section-4",
	500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
	502: "https://tools.ietf.org/html/rfc9110#section-15.6.3",
	503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
}

// writeError is the one place where errors become responses.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, title, detail := http.StatusInternalServerError, "Unhandled Exception Occured.", ""
	if e, ok := apperr.As(err); ok {
		if s, ok := kindStatus[e.Kind]; ok {
			status, title, detail = s, e.Title, e.Detail
			for k, v := range e.Header {
				// Set as spelled (X-Permit-MenuCode), not canonicalised.
				w.Header()[k] = []string{v}
			}
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status, title, detail = http.StatusRequestEntityTooLarge, "request body is too large", ""
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away (or the server is stopping): not a failure to
		// log as one; nobody may be reading this answer.
		log.Debug("request cancelled", "method", r.Method, "path", r.URL.Path)
		status, title, detail = http.StatusServiceUnavailable, "the request was cancelled", ""
	}
	if status == http.StatusInternalServerError {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		detail = "the server logged the cause; contact the administrator"
	}
	writeJSON(w, status, ErrorBody{Type: statusType[status], Title: title, Status: status, Detail: detail, Instance: r.URL.Path})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// decodeJSON reads exactly one JSON value into v, refusing unknown fields,
// trailing data and bodies over maxJSONBody.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/json") {
			return apperr.UnsupportedMedia("Content-Type %q is not supported", ct).WithDetail("send application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.Invalid("request body has data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	if _, ok := apperr.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, io.EOF):
		return apperr.Invalid("request body is required").WithDetail("send a JSON body")
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &syn):
		return apperr.Invalid("request body is not valid JSON").WithDetail("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return apperr.Invalid("%s must be %s", field, typ.Type.String()).WithDetail("got a JSON %s", typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apperr.Invalid("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field ")).
			WithDetail("remove it or check its spelling")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("request body is not valid JSON").WithDetail("it ends early")
	}
	return apperr.Invalid("request body is not valid JSON").WithDetail("%v", err)
}

// pathID parses a numeric path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	raw := r.PathValue(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.Invalid("%s %q is not a valid id", name, raw).WithDetail("use a positive whole number")
	}
	return id, nil
}

// query returns a query parameter matched case-insensitively, as the
// original's model binding did (DefaultTenant = defaultTenant).
func query(r *http.Request, name string) string {
	for k, vs := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	raw := query(r, name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, apperr.Invalid("%s %q is not a whole number", name, raw)
	}
	return n, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	raw := query(r, name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, apperr.Invalid("%s %q is not true or false", name, raw)
	}
	return b, nil
}

// lang picks ja or en from ?lang=, then Accept-Language.
func lang(r *http.Request) string {
	l := strings.ToLower(query(r, "lang"))
	if l == "" {
		l = strings.ToLower(r.Header.Get("Accept-Language"))
	}
	if strings.HasPrefix(l, "en") {
		return "en"
	}
	return "ja"
}

// StringOrObject decodes a body sent either as a bare JSON string (the
// original's form) or as {"<key>": "..."}.
type StringOrObject struct{ Value string }

func (s *StringOrObject) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &s.Value); err == nil {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 1 {
		return apperr.Invalid("request body must be a JSON string")
	}
	for _, v := range m {
		s.Value = v
	}
	return nil
}

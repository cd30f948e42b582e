package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// loginPath is where tokens come from.
const loginPath = "/api/v2/account/login"

// errorResponse is an error status an operation may answer, kept once in
// components/responses.
type errorResponse struct {
	status      int
	name        string
	description string
	headers     []Param
	applies     func(rt *Route) bool
}

// errorResponses lists the error statuses and the routes that can answer
// them, following Server.wrap, writeError and decodeJSON.
var errorResponses = []errorResponse{
	{status: http.StatusBadRequest, name: "BadRequest",
		description: "The request is invalid: a malformed or unknown body field, a bad parameter, or a value the rules refuse.",
		applies:     func(*Route) bool { return true }},
	{status: http.StatusUnauthorized, name: "Unauthorized",
		description: "The bearer token is missing, expired or invalid; log in again.",
		applies:     func(rt *Route) bool { return !rt.Public }},
	{status: http.StatusForbidden, name: "Forbidden",
		description: "The caller's roles grant none of the menus this operation needs.",
		headers:     []Param{{"X-Permit-MenuCode", "string", "the menu codes any one of which would grant access, comma-separated"}},
		applies:     func(rt *Route) bool { return len(rt.Menus) > 0 }},
	{status: http.StatusNotFound, name: "NotFound",
		description: "The resource does not exist or is not visible to the caller.",
		applies:     func(*Route) bool { return true }},
	{status: http.StatusConflict, name: "Conflict",
		description: "The request conflicts with the current state (a duplicate name, a resource in use).",
		applies:     func(*Route) bool { return true }},
	{status: http.StatusRequestEntityTooLarge, name: "PayloadTooLarge",
		description: fmt.Sprintf("The request body is over %d bytes (JSON), or over the server's upload-max-bytes (files).", maxJSONBody),
		applies:     func(rt *Route) bool { return rt.In != nil || rt.RawIn != nil }},
	{status: http.StatusUnsupportedMediaType, name: "UnsupportedMediaType",
		description: "The request body is not sent as application/json.",
		applies:     func(rt *Route) bool { return rt.In != nil }},
	{status: http.StatusTooManyRequests, name: "TooManyRequests",
		description: "Too many failed password attempts for this user or from this address; wait Retry-After seconds.",
		headers:     []Param{{"Retry-After", "integer", "seconds to wait before trying again"}},
		applies:     func(rt *Route) bool { return rt.RateLimited }},
	{status: http.StatusInternalServerError, name: "InternalServerError",
		description: "The server failed; it logged the cause.",
		applies:     func(*Route) bool { return true }},
	{status: http.StatusBadGateway, name: "BadGateway",
		description: "A server called on the caller's behalf (a git server, a container registry) could not be reached or failed.",
		applies:     func(rt *Route) bool { return rt.Remote }},
	{status: http.StatusServiceUnavailable, name: "ServiceUnavailable",
		description: "The server is starting, or too busy checking passwords; retry after Retry-After seconds.",
		headers:     []Param{{"Retry-After", "integer", "seconds to wait before trying again"}},
		applies:     func(*Route) bool { return true }},
}

// OpenAPI builds the OpenAPI 3.0.3 document of routes and of the endpoints
// the server serves beside them (/, /healthz, /metrics, /api/openapi.json).
// Schemas come from the routes' In and Out Go types (see schemaGen).
func OpenAPI(routes []*Route, version string) *openapi3.T {
	g := newSchemaGen()
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "KAMONOHASHI API",
			Version: version,
			Description: "The KAMONOHASHI v2 REST API. Log in with POST " + loginPath +
				" and send the token as Authorization: Bearer <token>. Errors answer the ErrorBody schema.",
		},
		Servers:  openapi3.Servers{{URL: "/"}},
		Paths:    openapi3.NewPaths(),
		Security: openapi3.SecurityRequirements{{"bearerAuth": []string{}}},
		Components: &openapi3.Components{
			Schemas:   openapi3.Schemas{},
			Responses: openapi3.ResponseBodies{},
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearerAuth": {Value: openapi3.NewJWTSecurityScheme().
					WithDescription("the token of POST " + loginPath + " or POST /api/v2/account/tenants/{tenantId}/token")},
			},
		},
	}

	errorBody := reflect.TypeFor[ErrorBody]()
	errRefs := map[int]*openapi3.ResponseRef{}
	for _, e := range errorResponses {
		resp := openapi3.NewResponse().WithDescription(e.description).
			WithContent(openapi3.Content{"application/json": {Schema: g.ref(errorBody)}})
		resp.Headers = headers(e.headers)
		doc.Components.Responses[e.name] = &openapi3.ResponseRef{Value: resp}
		errRefs[e.status] = &openapi3.ResponseRef{Ref: "#/components/responses/" + e.name, Value: resp}
	}

	var tags []string
	addTag := func(tag string) {
		if tag != "" && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	for _, rt := range routes {
		addTag(rt.Tag)
		addOperation(doc, rt.Method, docPath(rt.Path), routeOperation(g, rt, errRefs))
	}
	for _, op := range serverOperations() {
		addTag(op.op.Tags[0])
		addOperation(doc, op.method, op.path, op.op)
	}
	for _, t := range tags {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: t})
	}
	g.finish(doc.Components.Schemas)
	return doc
}

func addOperation(doc *openapi3.T, method, path string, op *openapi3.Operation) {
	item := doc.Paths.Value(path)
	if item == nil {
		item = &openapi3.PathItem{}
		doc.Paths.Set(path, item)
	}
	item.SetOperation(method, op)
}

// docPath turns a ServeMux pattern path into an OpenAPI path: {rest...}
// becomes {rest} and the end anchor {$} goes.
func docPath(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, "...}", "}"), "{$}", "")
}

// pathParams are the names of rt's path parameters, as docPath spells them.
func pathParams(rt *Route) []string {
	var names []string
	for _, n := range rt.PathParams() {
		if n != "$" {
			names = append(names, strings.TrimSuffix(n, "..."))
		}
	}
	return names
}

// routeOperation describes one route.
func routeOperation(g *schemaGen, rt *Route, errRefs map[int]*openapi3.ResponseRef) *openapi3.Operation {
	op := &openapi3.Operation{
		OperationID: operationID(rt.Method, rt.Path),
		Summary:     rt.Summary,
		Responses:   openapi3.NewResponses(),
	}
	if rt.Tag != "" {
		op.Tags = []string{rt.Tag}
	}
	if rt.Public {
		op.Security = &openapi3.SecurityRequirements{}
	}
	if len(rt.Menus) > 0 {
		op.Description = "Needs any of the menus " + strings.Join(rt.Menus, ", ") + "."
	}
	for _, name := range pathParams(rt) {
		// Ids (id, tenantId) are parsed as integers (pathID, menuID); other
		// parameters are documented as strings.
		schema := openapi3.NewStringSchema()
		if name == "id" || strings.HasSuffix(name, "Id") {
			schema = openapi3.NewInt64Schema()
		}
		p := openapi3.NewPathParameter(name).WithSchema(schema)
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: p})
	}
	for _, q := range rt.Query {
		p := openapi3.NewQueryParameter(q.Name).WithDescription(q.Description).WithSchema(paramSchema(q.Type))
		op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: p})
	}
	if rt.In != nil {
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.Content{"application/json": {Schema: g.ref(rt.In)}})}
	}
	if rt.RawIn != nil {
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(binaryContent(rt.RawIn))}
	}

	ok := openapi3.NewResponse().WithDescription(http.StatusText(rt.Status))
	if rt.Out != nil && rt.Status != http.StatusNoContent {
		ok.Content = openapi3.Content{"application/json": {Schema: g.ref(rt.Out)}}
	}
	if rt.RawOut != nil {
		ok.Content = binaryContent(rt.RawOut)
	}
	ok.Headers = headers(rt.Header)
	op.Responses.Set(fmt.Sprint(rt.Status), &openapi3.ResponseRef{Value: ok})
	for _, e := range errorResponses {
		if e.applies(rt) {
			op.Responses.Set(fmt.Sprint(e.status), errRefs[e.status])
		}
	}
	return op
}

// serverOperation is an endpoint the server serves outside the route table.
type serverOperation struct {
	method, path string
	op           *openapi3.Operation
}

// serverOperations describes the endpoints Server.Handler adds beside the
// routes; they need no token.
func serverOperations() []serverOperation {
	const tag = "Server"
	op := func(path, summary string, responses ...openapi3.NewResponsesOption) serverOperation {
		return serverOperation{method: http.MethodGet, path: path, op: &openapi3.Operation{
			OperationID: operationID(http.MethodGet, path),
			Tags:        []string{tag},
			Summary:     summary,
			Security:    &openapi3.SecurityRequirements{},
			Responses:   openapi3.NewResponses(responses...),
		}}
	}
	body := func(desc, mime string, s *openapi3.Schema) *openapi3.ResponseRef {
		media := &openapi3.MediaType{}
		if s != nil {
			media.Schema = inline(s)
		}
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
			WithContent(openapi3.Content{mime: media})}
	}
	health := func(version bool, status ...any) *openapi3.Schema {
		s := openapi3.NewObjectSchema().WithProperty("status", openapi3.NewStringSchema().WithEnum(status...))
		s.Required = []string{"status"}
		if version {
			s = s.WithProperty("version", openapi3.NewStringSchema())
			s.Required = append(s.Required, "version")
		}
		return s
	}
	return []serverOperation{
		op("/", "Home page naming the API and this document",
			openapi3.WithStatus(http.StatusOK, body("the home page", "text/html", nil))),
		op("/healthz", "Liveness and readiness",
			openapi3.WithStatus(http.StatusOK, body("ready", "application/json", health(true, "ok"))),
			openapi3.WithStatus(http.StatusServiceUnavailable, body("starting (the API answers 503 until ready), or unhealthy (the database does not answer)", "application/json", health(false, "starting", "unhealthy")))),
		op("/metrics", "Prometheus metrics",
			openapi3.WithStatus(http.StatusOK, body("metrics in the Prometheus text format", "text/plain", openapi3.NewStringSchema()))),
		op("/api/openapi.json", "This OpenAPI document",
			openapi3.WithStatus(http.StatusOK, body("the OpenAPI 3.0 document", "application/json", openapi3.NewObjectSchema()))),
	}
}

// paramSchema is the schema of a query parameter or header of Param.Type.
func paramSchema(typ string) *openapi3.Schema {
	switch typ {
	case openapi3.TypeInteger:
		return openapi3.NewIntegerSchema()
	case openapi3.TypeBoolean:
		return openapi3.NewBoolSchema()
	case openapi3.TypeString:
		return openapi3.NewStringSchema()
	}
	return &openapi3.Schema{Type: &openapi3.Types{typ}}
}

func headers(params []Param) openapi3.Headers {
	if len(params) == 0 {
		return nil
	}
	hs := openapi3.Headers{}
	for _, h := range params {
		hs[h.Name] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: h.Description,
			Schema:      inline(paramSchema(h.Type)),
		}}}
	}
	return hs
}

// operationID names an operation after its method and path words:
// PUT /api/v2/admin/users/{id}/password is putAdminUsersByIdPassword.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	words := 0
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/api/v2"), "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			b.WriteString("By")
			seg = strings.TrimSuffix(name, "}")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			b.WriteString(exportName(w))
			words++
		}
	}
	if words == 0 {
		b.WriteString("Root")
	}
	return b.String()
}

// openAPIHandler serves the OpenAPI document of routes as JSON, built and
// encoded on the first request and reused after.
func openAPIHandler(routes []*Route, version string, log *slog.Logger) http.HandlerFunc {
	encoded := sync.OnceValues(func() ([]byte, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(OpenAPI(routes, version)); err != nil {
			return nil, fmt.Errorf("encode the OpenAPI document: %w", err)
		}
		return buf.Bytes(), nil
	})
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := encoded()
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(b)
	}
}

// ValidateResponse returns a func that checks a response against doc: the
// status must be documented for the request's operation, and the headers
// and body must match their schemas. Requests are matched by method and
// path only; their bodies and security are not checked. Integration tests
// use it to hold every answer of the server to the document.
func ValidateResponse(doc *openapi3.T) (func(req *http.Request, status int, header http.Header, body []byte) error, error) {
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		ExcludeRequestBody:    true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	return func(req *http.Request, status int, header http.Header, body []byte) error {
		// The document's server is "/", which matches paths, not the
		// absolute URLs clients send.
		r := req.WithContext(req.Context())
		r.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
		route, params, err := router.FindRoute(r)
		if err != nil {
			return fmt.Errorf("%s %s: no operation in the document: %w", req.Method, req.URL.Path, err)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: r, PathParams: params, Route: route, Options: opts,
			},
			Status:  status,
			Header:  header,
			Options: opts,
		}
		in.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
			return fmt.Errorf("%s %s answered %d: %w", req.Method, req.URL.Path, status, err)
		}
		return nil
	}, nil
}

// binaryContent describes a body of raw bytes in any of the media types.
func binaryContent(media []string) openapi3.Content {
	c := openapi3.Content{}
	for _, m := range media {
		c[m] = &openapi3.MediaType{Schema: inline(openapi3.NewStringSchema().WithFormat("binary"))}
	}
	return c
}

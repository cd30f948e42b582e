package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

// testServer is a server without a database: enough to list its routes and
// to serve what needs no identity service.
func testServer() *Server { return New(nil, slog.New(slog.DiscardHandler), "test") }

// servedDoc fetches /api/openapi.json from the server and loads it, so the
// tests check the JSON clients get rather than the in-memory document.
func servedDoc(t *testing.T, s *Server) *openapi3.T {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: status %d, body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /api/openapi.json: Content-Type %q, want application/json", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	return doc
}

func TestOpenAPIIsValid(t *testing.T) {
	s := testServer()
	if err := OpenAPI(s.Routes(), "test").Validate(t.Context()); err != nil {
		t.Errorf("built document: %v", err)
	}
	doc := servedDoc(t, s)
	if err := doc.Validate(t.Context()); err != nil {
		t.Errorf("served document: %v", err)
	}
	got := map[string]any{
		"openapi": doc.OpenAPI, "title": doc.Info.Title, "version": doc.Info.Version,
		"servers": len(doc.Servers), "server": doc.Servers[0].URL,
		"security": doc.Security, "scheme": doc.Components.SecuritySchemes["bearerAuth"].Value.Scheme,
	}
	want := map[string]any{
		"openapi": "3.0.3", "title": "KAMONOHASHI API", "version": "test",
		"servers": 1, "server": "/",
		"security": openapi3.SecurityRequirements{{"bearerAuth": []string{}}}, "scheme": "bearer",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document header (-want +got):\n%s", diff)
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s := testServer()
	doc := servedDoc(t, s)
	ids := map[string]string{}
	for _, rt := range s.Routes() {
		t.Run(rt.Pattern(), func(t *testing.T) {
			item := doc.Paths.Value(docPath(rt.Path))
			if item == nil {
				t.Fatalf("path %s is missing", docPath(rt.Path))
			}
			op := item.GetOperation(rt.Method)
			if op == nil {
				t.Fatalf("operation %s is missing", rt.Pattern())
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s is also used by %s", op.OperationID, prev)
			}
			ids[op.OperationID] = rt.Pattern()

			var gotPathParams []string
			for _, p := range op.Parameters {
				if p.Value.In == openapi3.ParameterInPath {
					gotPathParams = append(gotPathParams, p.Value.Name)
				}
			}
			var queryParams []string
			for _, q := range rt.Query {
				queryParams = append(queryParams, q.Name)
			}
			var statuses []string
			for code := range op.Responses.Map() {
				statuses = append(statuses, code)
			}
			slices.Sort(statuses)
			got := summary{
				Tags: op.Tags, Summary: op.Summary, PathParams: gotPathParams,
				Public: op.Security != nil && len(*op.Security) == 0, Statuses: statuses,
				HasBody: op.RequestBody != nil,
			}
			for _, p := range op.Parameters {
				if p.Value.In == openapi3.ParameterInQuery {
					got.QueryParams = append(got.QueryParams, p.Value.Name)
				}
			}
			want := summary{
				Tags: []string{rt.Tag}, Summary: rt.Summary, PathParams: pathParams(rt), QueryParams: queryParams,
				Public: rt.Public, Statuses: wantStatuses(rt), HasBody: rt.In != nil || rt.RawIn != nil,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("operation (-want +got):\n%s", diff)
			}
			if len(rt.Menus) > 0 {
				forbidden := op.Responses.Status(http.StatusForbidden).Value
				if forbidden.Headers["X-Permit-MenuCode"] == nil {
					t.Errorf("403 does not document X-Permit-MenuCode")
				}
			}
		})
	}
}

// summary is what TestOpenAPIDescribesEveryRoute compares per operation.
type summary struct {
	Tags, PathParams, QueryParams, Statuses []string
	Summary                                 string
	Public, HasBody                         bool
}

func wantStatuses(rt *Route) []string {
	codes := []string{"400", "404", "409", "500", "503", itoa(rt.Status)}
	if !rt.Public {
		codes = append(codes, "401")
	}
	if len(rt.Menus) > 0 {
		codes = append(codes, "403")
	}
	if rt.In != nil {
		codes = append(codes, "413", "415")
	}
	if rt.RawIn != nil { // a file or archive: any media type is read as bytes
		codes = append(codes, "413")
	}
	if rt.Path == loginPath || rt.Path == "/api/v2/account/password" { // where passwords are guessed
		codes = append(codes, "429")
	}
	if strings.HasPrefix(rt.Path, "/api/v2/git/") || strings.HasPrefix(rt.Path, "/api/v2/registries/") { // call git servers and registries
		codes = append(codes, "502")
	}
	slices.Sort(codes)
	return codes
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestOpenAPIDescribesServerEndpoints(t *testing.T) {
	doc := servedDoc(t, testServer())
	tests := map[string]struct {
		path, status, mime string
	}{
		"home page":        {"/", "200", "text/html"},
		"health when up":   {"/healthz", "200", "application/json"},
		"health starting":  {"/healthz", "503", "application/json"},
		"metrics are text": {"/metrics", "200", "text/plain"},
		"this document":    {"/api/openapi.json", "200", "application/json"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			item := doc.Paths.Value(tc.path)
			if item == nil || item.Get == nil {
				t.Fatalf("GET %s is missing", tc.path)
			}
			resp := item.Get.Responses.Value(tc.status)
			if resp == nil || resp.Value.Content.Get(tc.mime) == nil {
				t.Fatalf("GET %s does not document %s %s", tc.path, tc.status, tc.mime)
			}
			if item.Get.Security == nil || len(*item.Get.Security) != 0 {
				t.Errorf("GET %s should need no token (security: [])", tc.path)
			}
		})
	}
}

// shape writes a schema compactly for comparison: "integer/int64",
// "[]RoleInfo" (array of a component), "?TenantInfo" (nullable),
// "map[]string", "any".
func shape(r *openapi3.SchemaRef) string {
	if r == nil {
		return "<none>"
	}
	if r.Ref != "" {
		return strings.TrimPrefix(r.Ref, "#/components/schemas/")
	}
	s, prefix := r.Value, ""
	if s.Nullable {
		prefix = "?"
	}
	switch {
	case len(s.AllOf) == 1:
		return prefix + shape(s.AllOf[0])
	case len(s.OneOf) > 0:
		var alts []string
		for _, a := range s.OneOf {
			alts = append(alts, shape(a))
		}
		return prefix + strings.Join(alts, "|")
	case s.Type.Is(openapi3.TypeArray):
		return prefix + "[]" + shape(s.Items)
	case s.Type.Is(openapi3.TypeObject) && s.AdditionalProperties.Schema != nil:
		return prefix + "map[]" + shape(s.AdditionalProperties.Schema)
	case s.Type == nil || len(*s.Type) == 0:
		return prefix + "any"
	}
	t := strings.Join(s.Type.Slice(), "|")
	if s.Format != "" {
		t += "/" + s.Format
	}
	return prefix + t
}

// props is the shape of each property of component name; only the names in
// want are reported, a missing one as "<missing>".
func props(schemas openapi3.Schemas, name string, want map[string]string) map[string]string {
	got := map[string]string{}
	c := schemas[name]
	if c == nil {
		return map[string]string{"<component>": "<missing>"}
	}
	for k := range want {
		if p, ok := c.Value.Properties[k]; ok {
			got[k] = shape(p)
		} else {
			got[k] = "<missing>"
		}
	}
	return got
}

func TestOpenAPISchemas(t *testing.T) {
	doc := servedDoc(t, testServer())
	tests := map[string]struct {
		component    string
		wantProps    map[string]string
		wantRequired []string // nil: not checked
	}{
		"login input: pointers are nullable and omitempty is optional": {
			component: "LoginInput",
			wantProps: map[string]string{
				"userName": "string", "password": "string", "tenantId": "?integer/int64", "expiresIn": "?integer/int64",
			},
			wantRequired: []string{"userName", "password"},
		},
		"user view: audit fields from the embedded AuditView, roles as RoleInfo": {
			component: "UserView",
			wantProps: map[string]string{
				"createdAt": "string/date-time", "modifiedAt": "string/date-time", "createdBy": "string",
				"id": "integer/int64", "serviceType": "integer",
				"systemRoles": "[]RoleInfo", "tenants": "[]TenantInfo",
			},
		},
		"tenant details: TenantView and its AuditView flattened": {
			component: "TenantDetails",
			wantProps: map[string]string{
				"id": "integer/int64", "name": "string", "displayName": "string", "storagePath": "string",
				"createdAt": "string/date-time", "defaultGitId": "?integer/int64", "gitIds": "[]integer/int64",
			},
		},
		"account: a nullable component is wrapped in allOf": {
			component: "AccountOutput",
			wantProps: map[string]string{"selectedTenant": "?TenantInfo", "tenants": "[]TenantInfo"},
		},
		"error body: detail is optional": {
			component:    "ErrorBody",
			wantProps:    map[string]string{"type": "string", "title": "string", "status": "integer", "detail": "string", "instance": "string"},
			wantRequired: []string{"type", "title", "status", "instance"},
		},
		"menu item: recursive through a $ref": {
			component: "MenuItem",
			wantProps: map[string]string{"children": "[]MenuItem"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.wantProps, props(doc.Components.Schemas, tc.component, tc.wantProps)); diff != "" {
				t.Errorf("%s properties (-want +got):\n%s", tc.component, diff)
			}
			if tc.wantRequired != nil {
				if diff := cmp.Diff(tc.wantRequired, doc.Components.Schemas[tc.component].Value.Required); diff != "" {
					t.Errorf("%s required (-want +got):\n%s", tc.component, diff)
				}
			}
		})
	}

	t.Run("string or object", func(t *testing.T) {
		got := shape(&openapi3.SchemaRef{Value: doc.Components.Schemas["StringOrObject"].Value})
		if want := "string|map[]string"; got != want {
			t.Errorf("StringOrObject = %s, want %s", got, want)
		}
		body := doc.Paths.Value("/api/v2/account/displayName").Put.RequestBody.Value.Content.Get("application/json").Schema
		for _, v := range []any{"Alice", map[string]any{"displayName": "Alice"}} {
			if err := body.Value.VisitJSON(v); err != nil {
				t.Errorf("displayName body %v: %v", v, err)
			}
		}
	})
}

// Types for the reflector's own cases.
type genBase struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type genAudit struct {
	At time.Time `json:"at"`
}

type genTieA struct {
	X int
}

type genTieB struct {
	X int
}

type genSample struct {
	genBase
	*genAudit
	genTieA
	genTieB
	Name     string          `json:"name"` // shadows genBase.Name
	Note     string          `json:"note,omitempty"`
	Secret   string          `json:"-"`
	Count    int64           `json:"count,string"`
	Parent   *genBase        `json:"parent"`
	Tags     map[string]int  `json:"tags"`
	Raw      json.RawMessage `json:"raw"`
	Bytes    []byte          `json:"bytes"`
	Untagged bool
	hidden   int
}

type genPage[T any] struct {
	Items []T `json:"items"`
}

func TestSchemaGen(t *testing.T) {
	g := newSchemaGen()
	g.ref(reflect.TypeFor[genSample]())
	g.ref(reflect.TypeFor[struct {
		A log.Logger  `json:"a"`
		B slog.Logger `json:"b"`
	}]())
	g.ref(reflect.TypeFor[genPage[identity.RoleInfo]]())
	schemas := openapi3.Schemas{}
	g.finish(schemas)

	var names []string
	for n := range schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	wantNames := []string{"LogLogger", "RoleInfo", "SlogLogger", "genBase", "genPage_RoleInfo", "genSample"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("component names (-want +got):\n%s", diff)
	}

	s := schemas["genSample"].Value
	got := map[string]string{}
	for k, p := range s.Properties {
		got[k] = shape(p)
	}
	wantProps := map[string]string{
		"id":       "integer/int64",    // promoted from genBase
		"name":     "string",           // the shallower Name wins
		"at":       "string/date-time", // through an embedded pointer
		"note":     "string",
		"count":    "string", // ,string quotes the number
		"parent":   "?genBase",
		"tags":     "map[]integer",
		"raw":      "?any",
		"bytes":    "string/byte",
		"Untagged": "boolean",
		// X: genTieA.X and genTieB.X cancel out; Secret and hidden are not written.
	}
	if diff := cmp.Diff(wantProps, got); diff != "" {
		t.Errorf("genSample properties (-want +got):\n%s", diff)
	}
	wantRequired := []string{"id", "name", "count", "parent", "tags", "raw", "bytes", "Untagged"}
	if diff := cmp.Diff(wantRequired, s.Required); diff != "" {
		t.Errorf("genSample required (-want +got):\n%s", diff)
	}
}

func TestOperationID(t *testing.T) {
	tests := map[string]struct{ method, path, want string }{
		"collection":       {"GET", "/api/v2/admin/users", "getAdminUsers"},
		"path parameter":   {"PUT", "/api/v2/admin/users/{id}/password", "putAdminUsersByIdPassword"},
		"dashed word":      {"GET", "/api/v2/admin/tenant-common-roles", "getAdminTenantCommonRoles"},
		"camelCase param":  {"POST", "/api/v2/account/tenants/{tenantId}/token", "postAccountTenantsByTenantIdToken"},
		"outside /api/v2":  {"GET", "/api/openapi.json", "getApiOpenapiJson"},
		"root":             {"GET", "/", "getRoot"},
		"camelCase letter": {"PUT", "/api/v2/account/displayName", "putAccountDisplayName"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := operationID(tc.method, tc.path); got != tc.want {
				t.Errorf("operationID(%s %s) = %s, want %s", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	validate, err := ValidateResponse(servedDoc(t, testServer()))
	if err != nil {
		t.Fatal(err)
	}
	jsonCT := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	notFound := `{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"no user 7","status":404,"instance":"/api/v2/admin/users/7"}`
	tests := map[string]struct {
		method, url string
		status      int
		header      http.Header
		body        string
		wantErr     string // "" for valid
	}{
		"version": {
			method: "GET", url: "/api/v2/version", status: 200, header: jsonCT,
			body: `{"version":"x","messages":[]}`,
		},
		"version as a number": {
			method: "GET", url: "/api/v2/version", status: 200, header: jsonCT,
			body: `{"version":1}`, wantErr: "doesn't match schema",
		},
		"version without messages": {
			method: "GET", url: "/api/v2/version", status: 200, header: jsonCT,
			body: `{"version":"x"}`, wantErr: "doesn't match schema",
		},
		"absolute URL of a client request": {
			method: "GET", url: "http://127.0.0.1:8080/api/v2/version?x=1", status: 200, header: jsonCT,
			body: `{"version":"x","messages":[]}`,
		},
		"status the operation does not document": {
			method: "GET", url: "/api/v2/version", status: 401, header: jsonCT,
			body: notFound, wantErr: "status is not supported",
		},
		"wrong content type": {
			method: "GET", url: "/api/v2/version", status: 200, header: http.Header{"Content-Type": {"text/html"}},
			body: `<p>x</p>`, wantErr: "Content-Type",
		},
		"error body": {
			method: "GET", url: "/api/v2/admin/users/7", status: 404, header: jsonCT, body: notFound,
		},
		"error body without a title": {
			method: "GET", url: "/api/v2/admin/users/7", status: 404, header: jsonCT,
			body: `{"type":"t","status":404,"instance":"/"}`, wantErr: "doesn't match schema",
		},
		"403 naming the menus": {
			method: "GET", url: "/api/v2/admin/users", status: 403,
			header: http.Header{"Content-Type": {"application/json"}, "X-Permit-Menucode": {"User"}},
			body:   `{"type":"t","title":"no","status":403,"instance":"/api/v2/admin/users"}`,
		},
		"null where a list is due": {
			method: "GET", url: "/api/v2/admin/users", status: 200, header: jsonCT,
			body: `null`, wantErr: "doesn't match schema",
		},
		"X-Total-Count not a number": {
			method: "GET", url: "/api/v2/admin/users?withTotal=true", status: 200,
			header: http.Header{"Content-Type": {"application/json"}, "X-Total-Count": {"many"}},
			body:   `[]`, wantErr: "X-Total-Count",
		},
		"204 without a body": {
			method: "DELETE", url: "/api/v2/admin/users/3", status: 204,
		},
		"metrics": {
			method: "GET", url: "/metrics", status: 200,
			header: http.Header{"Content-Type": {"text/plain; version=0.0.4; charset=utf-8"}},
			body:   "# HELP x y\n",
		},
		"path the document does not have": {
			method: "GET", url: "/api/v2/nothing", status: 404, header: jsonCT, body: notFound,
			wantErr: "no operation",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.url, nil)
			err := validate(req, tc.status, tc.header, []byte(tc.body))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

// TestServerAnswersMatchDocument holds the answers that need no database to
// the document, through the real handler.
func TestServerAnswersMatchDocument(t *testing.T) {
	s := testServer()
	validate, err := ValidateResponse(servedDoc(t, s))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	tests := map[string]struct {
		ready      bool
		path       string
		wantStatus int
	}{
		"version while starting":    {false, "/api/v2/version", 503},
		"version":                   {true, "/api/v2/version", 200},
		"health while starting":     {false, "/healthz", 503},
		"health":                    {true, "/healthz", 200},
		"metrics":                   {true, "/metrics", 200},
		"this document":             {true, "/api/openapi.json", 200},
		"home page":                 {true, "/", 200},
		"admin list without token":  {true, "/api/v2/admin/users", 401},
		"account menus, no token":   {true, "/api/v2/account/menus/tree", 401},
		"tenant detail, no token":   {true, "/api/v2/admin/tenants/1", 401},
		"tenant detail, not ready":  {false, "/api/v2/admin/tenants/1", 503},
		"admin roles without token": {true, "/api/v2/admin/roles", 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s.SetReady(tc.ready)
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, tc.wantStatus, body)
			}
			if err := validate(req, res.StatusCode, res.Header, body); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestOpenAPIHandlerServesOneStableDocument(t *testing.T) {
	routes := testServer().Routes()
	h := openAPIHandler(routes, "test", slog.New(slog.DiscardHandler))
	var bodies [][]byte
	for range 2 {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		bodies = append(bodies, rec.Body.Bytes())
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Error("two requests got different documents")
	}
	// A fresh build encodes to the same bytes: the document does not depend
	// on map order or on anything but the routes and the version.
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(OpenAPI(routes, "test")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bodies[0], again.Bytes()) {
		t.Error("a second build of the document differs from the first")
	}
}

func TestOpenAPIBuildTime(t *testing.T) {
	routes := testServer().Routes()
	const runs = 20
	start := time.Now()
	for range runs {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(OpenAPI(routes, "test")); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(start) / runs
	t.Logf("building and encoding the document takes %v (%d routes)", per, len(routes))
}

func BenchmarkOpenAPI(b *testing.B) {
	routes := testServer().Routes()
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			OpenAPI(routes, "test")
		}
	})
	b.Run("build+encode", func(b *testing.B) {
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(OpenAPI(routes, "test")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached handler", func(b *testing.B) {
		h := openAPIHandler(routes, "test", slog.New(slog.DiscardHandler))
		req := httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil)
		for b.Loop() {
			h(httptest.NewRecorder(), req)
		}
	})
}

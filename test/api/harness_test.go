// Package api_test drives the /api/v2 REST API through real HTTP on loopback
// against the real server, on every database engine of the test run. Every
// response is checked against our OpenAPI document.
package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/app"
	"github.com/kamonohashi-go/kamonohashi/internal/config"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

// The server every test starts with.
const (
	adminName     = "admin"
	adminPassword = "admin-pass-1"
	loginMaxFails = 5
	loginLockout  = 15 * time.Minute
	// defaultExpiresIn is the token lifetime when a client asks for none (the original's 864000 s).
	defaultExpiresIn = int64(240 * time.Hour / time.Second)
	maxExpiresIn     = int64(3650 * 24 * time.Hour / time.Second)
)

// Seed records of the first migration.
const (
	sandboxID        = int64(1)
	roleUsers        = int64(1)
	roleResearchers  = int64(2)
	roleManagers     = int64(3)
	roleAdmins       = int64(4)
	menuAccount      = 1
	menuTraining     = 9
	menuTenant       = 16
	menuUser         = 22
	menuMenu         = 24
	defaultStorageID = int64(1)
)

// clockStart is where every test's fake clock begins (a whole second: tokens
// carry seconds).
var clockStart = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// fakeClock is the server's time source; tests advance it instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// responseCheck validates one response against the API description.
type responseCheck func(req *http.Request, status int, header http.Header, body []byte) error

// env is one running server on a fresh database.
type env struct {
	engine  string
	storage string
	app     *app.App
	url     string
	clock   *fakeClock
	check   responseCheck
	http    *http.Client
}

// forEachEngine runs fn once per database engine of this test run, each with
// a fresh server, as parallel subtests named after the engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, engine))
		})
	}
}

// forEachBackend runs fn once per database engine and storage backend
// (directory, and the real S3 server when the run has one).
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, engine := range testenv.Engines(t) {
		for _, st := range testenv.Storages(t) {
			t.Run(engine+"/"+st, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnvOn(t, engine, st))
			})
		}
	}
}

func newEnv(t *testing.T, engine string) *env { return newEnvOn(t, engine, testenv.Dir) }

func newEnvOn(t *testing.T, engine, storage string) *env {
	t.Helper()
	return newEnvWith(t, engine, storage, nil)
}

type configT = config.Config

// newEnvWith builds a server whose configuration adjust may change.
func newEnvWith(t *testing.T, engine, storage string, adjust func(*config.Config)) *env {
	t.Helper()
	db := testenv.NewDB(t, engine)
	clock := &fakeClock{now: clockStart}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AdminPassword = adminPassword
	cfg.LoginMaxFails = loginMaxFails
	cfg.LoginLockout = loginLockout
	cfg.WebhookNetworks = "127.0.0.1" // the test's webhook receiver; every other internal address stays refused
	cfg.GPUs = "none"                 // tests that need GPUs pretend to have some
	if storage == testenv.S3 {
		s3 := testenv.S3Server(t)
		cfg.Storage, cfg.S3Endpoint, cfg.S3AccessKey, cfg.S3SecretKey = "s3", s3.Endpoint, s3.AccessKey, s3.SecretKey
		cfg.S3Bucket = testenv.UniqueBucket(t) // one bucket per server: parallel tests share no tenant bucket
	}
	if adjust != nil {
		adjust(&cfg)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(context.Background(), cfg, log, app.WithDB(db), app.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("build the server on %s: %v", engine, err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close the server: %v", err)
		}
	})
	srv := httptest.NewServer(a.API.Handler())
	t.Cleanup(srv.Close)
	a.SetServerURL(srv.URL)
	return &env{engine: engine, storage: storage, app: a, url: srv.URL, clock: clock, check: responseValidator(t, a),
		http: srv.Client()}
}

// ---- client

// client calls the API as one caller (token empty: anonymous).
type client struct {
	e     *env
	token string
	// offDocument: the requests go where the document has no operation on
	// purpose (unknown paths), so their answers are not validated against it.
	offDocument bool
}

func (e *env) anon() *client { return &client{e: e} }

// as returns a client that sends token.
func (e *env) as(token string) *client { return &client{e: e, token: token} }

// outsideDocument returns a copy of c whose requests go to paths the
// OpenAPI document does not describe on purpose.
func (c *client) outsideDocument() *client {
	cc := *c
	cc.offDocument = true
	return &cc
}

// login logs in and fails the test unless it succeeds.
func (e *env) login(t *testing.T, user, password string) *client {
	t.Helper()
	var out loginOut
	e.anon().Do(t, "POST", "/api/v2/account/login", loginIn{UserName: user, Password: password}).
		want(t, http.StatusOK).decode(t, &out)
	if out.Token == "" {
		t.Fatalf("login %s: no token in the answer", user)
	}
	return e.as(out.Token)
}

func (e *env) admin(t *testing.T) *client {
	t.Helper()
	return e.login(t, adminName, adminPassword)
}

// rawBody is a request body sent as is, with contentType ("" = no header).
type rawBody struct {
	contentType string
	data        []byte
}

func jsonText(s string) rawBody { return rawBody{contentType: "application/json", data: []byte(s)} }

// resp is one answer of the server.
type resp struct {
	method, path string
	Status       int
	Header       http.Header
	Body         []byte
}

// Do sends one request: body nil = none, rawBody = as given, anything else
// is encoded as JSON. The response is checked against the OpenAPI document.
func (c *client) Do(t *testing.T, method, path string, body any) *resp {
	t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, contentType = bytes.NewReader(b.data), b.contentType
	default:
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		rd, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, c.e.url+path, rd)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.offDocument {
		return c.e.sendUnchecked(t, req)
	}
	return c.e.send(t, req)
}

// send performs req and validates the response.
func (e *env) send(t *testing.T, req *http.Request) *resp {
	t.Helper()
	r := e.sendUnchecked(t, req)
	if err := e.check(req, r.Status, r.Header, r.Body); err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\nbody: %s",
			req.Method, req.URL.RequestURI(), r.Status, err, r.Body)
	}
	return r
}

// sendUnchecked performs req without validating the response.
func (e *env) sendUnchecked(t *testing.T, req *http.Request) *resp {
	t.Helper()
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &resp{method: req.Method, path: req.URL.Path, Status: res.StatusCode, Header: res.Header, Body: data}
}

// want fails the test unless the status is status.
func (r *resp) want(t *testing.T, status int) *resp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.method, r.path, r.Status, status, r.Body)
	}
	return r
}

// decode unmarshals the JSON body into v.
func (r *resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decode %T: %v; body: %s", r.method, r.path, v, err, r.Body)
	}
}

// problem is the KAMONOHASHI error body.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

// wantProblem checks that the answer is an error of status with the
// KAMONOHASHI error body, and returns the body.
func (r *resp) wantProblem(t *testing.T, status int) problem {
	t.Helper()
	r.want(t, status)
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		t.Errorf("%s %s: error Content-Type %q, want application/json", r.method, r.path, ct)
	}
	var fields map[string]json.RawMessage
	r.decode(t, &fields)
	for _, k := range []string{"type", "title", "status", "instance"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("%s %s: error body lacks %q: %s", r.method, r.path, k, r.Body)
		}
	}
	for k := range fields {
		switch k {
		case "type", "title", "status", "detail", "instance":
		default:
			t.Errorf("%s %s: error body has unexpected field %q: %s", r.method, r.path, k, r.Body)
		}
	}
	var p problem
	r.decode(t, &p)
	if p.Status != status || p.Type == "" || strings.TrimSpace(p.Title) == "" || p.Instance != r.path {
		t.Errorf("%s %s: error body %+v, want status %d, a type, a title and instance %q",
			r.method, r.path, p, status, r.path)
	}
	return p
}

// ---- exact header spelling on the wire

// rawHeaderKeys sends a request over a plain TCP connection and returns the
// response's header names exactly as spelled on the wire (Go's HTTP client
// canonicalises them).
func (e *env) rawHeaderKeys(t *testing.T, method, path, token string) (status string, keys []string) {
	t.Helper()
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatalf("dial %s: %v", u.Host, err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n",
		method, path, u.Host, token)
	br := bufio.NewReader(conn)
	status, err = br.ReadString('\n')
	if err != nil {
		t.Fatalf("read status line: %v", err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read header: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return strings.TrimSpace(status), keys
		}
		if k, _, ok := strings.Cut(line, ":"); ok {
			keys = append(keys, k)
		}
	}
}

// ---- state, to show that refused requests change nothing

// state is what an administrator sees of the identity tables.
type state struct {
	Users         []any
	Tenants       []any
	TenantDetails map[string]any
	Roles         []any
	Menus         []any
}

func (e *env) state(t *testing.T, admin *client) state {
	t.Helper()
	var s state
	admin.Do(t, "GET", "/api/v2/admin/users", nil).want(t, http.StatusOK).decode(t, &s.Users)
	admin.Do(t, "GET", "/api/v2/admin/tenants", nil).want(t, http.StatusOK).decode(t, &s.Tenants)
	admin.Do(t, "GET", "/api/v2/admin/roles", nil).want(t, http.StatusOK).decode(t, &s.Roles)
	admin.Do(t, "GET", "/api/v2/admin/menus", nil).want(t, http.StatusOK).decode(t, &s.Menus)
	var ts []tenantView
	admin.Do(t, "GET", "/api/v2/admin/tenants", nil).decode(t, &ts)
	s.TenantDetails = map[string]any{}
	for _, tv := range ts {
		var d any
		admin.Do(t, "GET", fmt.Sprintf("/api/v2/admin/tenants/%d", tv.ID), nil).want(t, http.StatusOK).decode(t, &d)
		s.TenantDetails[tv.Name] = d
	}
	return s
}

// wantUnchanged fails the test when the state differs from before.
func (e *env) wantUnchanged(t *testing.T, admin *client, before state) {
	t.Helper()
	if diff := cmp.Diff(before, e.state(t, admin)); diff != "" {
		t.Errorf("a refused request changed the database (-before +after):\n%s", diff)
	}
}

// ---- request bodies (the original's JSON names) and builders

type loginIn struct {
	UserName  string `json:"userName"`
	Password  string `json:"password"`
	TenantID  *int64 `json:"tenantId,omitempty"`
	ExpiresIn *int64 `json:"expiresIn,omitempty"`
}

type switchIn struct {
	ExpiresIn *int64 `json:"expiresIn,omitempty"`
}

type passwordIn struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// tenantIn is the body of tenant create and edit.
type tenantIn struct {
	TenantName        string  `json:"tenantName,omitempty"`
	DisplayName       string  `json:"displayName"`
	DefaultGitID      *int64  `json:"defaultGitId,omitempty"`
	GitIDs            []int64 `json:"gitIds"`
	DefaultRegistryID *int64  `json:"defaultRegistryId,omitempty"`
	RegistryIDs       []int64 `json:"registryIds"`
	StorageID         int64   `json:"storageId"`
}

// makeTenant is the original's minimal create body: GitHub, Docker Hub and
// the default storage.
func makeTenant(name string) tenantIn {
	return tenantIn{TenantName: name, DisplayName: name + " team", GitIDs: []int64{1}, RegistryIDs: []int64{1},
		StorageID: defaultStorageID}
}

func (in tenantIn) gits(ids ...int64) tenantIn       { in.GitIDs = ids; return in }
func (in tenantIn) defaultGit(id int64) tenantIn     { in.DefaultGitID = &id; return in }
func (in tenantIn) storage(id int64) tenantIn        { in.StorageID = id; return in }
func (in tenantIn) display(name string) tenantIn     { in.DisplayName = name; return in }
func (in tenantIn) registries(ids ...int64) tenantIn { in.RegistryIDs = ids; return in }

type userTenantIn struct {
	ID      int64   `json:"id"`
	Default bool    `json:"default"`
	Roles   []int64 `json:"roles"`
}

// userIn is the body of user create and edit.
type userIn struct {
	Name        string         `json:"name,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	Password    string         `json:"password,omitempty"`
	SystemRoles []int64        `json:"systemRoles"`
	Tenants     []userTenantIn `json:"tenants"`
}

// makeUser starts a user body with the password passwordOf(name) and no tenants.
func makeUser(name string) userIn {
	return userIn{Name: name, DisplayName: name, Password: passwordOf(name), SystemRoles: []int64{}, Tenants: []userTenantIn{}}
}

// passwordOf is the password the tests give a user.
func passwordOf(name string) string { return name + "-pass-1" }

func (in userIn) in(tenant int64, roles ...int64) userIn {
	in.Tenants = append(append([]userTenantIn{}, in.Tenants...), userTenantIn{ID: tenant, Roles: nonNil(roles)})
	return in
}

func (in userIn) defaultIn(tenant int64, roles ...int64) userIn {
	in.Tenants = append(append([]userTenantIn{}, in.Tenants...), userTenantIn{ID: tenant, Default: true, Roles: nonNil(roles)})
	return in
}

func (in userIn) system(roles ...int64) userIn { in.SystemRoles = nonNil(roles); return in }
func (in userIn) password(pw string) userIn    { in.Password = pw; return in }
func (in userIn) withoutCredentials() userIn {
	in.Name, in.Password, in.DisplayName = "", "", ""
	return in
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// roleIn is the body of role create and edit.
type roleIn struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	SortOrder    *int   `json:"sortOrder,omitempty"`
	IsSystemRole bool   `json:"isSystemRole"`
	TenantID     *int64 `json:"tenantId,omitempty"`
}

func makeRole(name, display string, sortOrder int) roleIn {
	return roleIn{Name: name, DisplayName: display, SortOrder: &sortOrder}
}

func (in roleIn) systemRole() roleIn       { in.IsSystemRole = true; return in }
func (in roleIn) ofTenant(id int64) roleIn { in.TenantID = &id; return in }
func (in roleIn) withoutSortOrder() roleIn { in.SortOrder = nil; return in }

func ptr[T any](v T) *T { return &v }

// ---- answers (the original's JSON names, declared here so that a renamed
// field in the product shows up as a failure)

type loginOut struct {
	Token      string `json:"token"`
	UserName   string `json:"userName"`
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	ExpiresIn  int64  `json:"expiresIn"`
}

type roleInfo struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

type tenantInfo struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	DisplayName string     `json:"displayName"`
	Default     bool       `json:"default"`
	Roles       []roleInfo `json:"roles"`
}

type accountOut struct {
	UserID                int64        `json:"userId"`
	UserName              string       `json:"userName"`
	DisplayName           string       `json:"displayName"`
	PasswordChangeEnabled bool         `json:"passwordChangeEnabled"`
	SelectedTenant        *tenantInfo  `json:"selectedTenant"`
	DefaultTenant         *tenantInfo  `json:"defaultTenant"`
	Tenants               []tenantInfo `json:"tenants"`
}

type userView struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	DisplayName string       `json:"displayName"`
	SystemRoles []roleInfo   `json:"systemRoles"`
	Tenants     []tenantInfo `json:"tenants"`
}

type tenantView struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	StoragePath string `json:"storagePath"`
}

type tenantDetails struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	DisplayName       string  `json:"displayName"`
	StoragePath       string  `json:"storagePath"`
	DefaultGitID      *int64  `json:"defaultGitId"`
	GitIDs            []int64 `json:"gitIds"`
	DefaultRegistryID *int64  `json:"defaultRegistryId"`
	RegistryIDs       []int64 `json:"registryIds"`
	StorageID         int64   `json:"storageId"`
}

type roleView struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	IsSystemRole bool   `json:"isSystemRole"`
	TenantID     *int64 `json:"tenantId"`
	SortOrder    int    `json:"sortOrder"`
}

type menuRole struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	IsSystemRole bool   `json:"isSystemRole"`
}

type menuView struct {
	ID       int        `json:"id"`
	Name     string     `json:"name"`
	MenuType int        `json:"menuType"`
	Roles    []menuRole `json:"roles"`
}

type menuCard struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Category string `json:"category"`
}

type tenantUserView struct {
	ID    int64      `json:"id"`
	Name  string     `json:"name"`
	Roles []roleInfo `json:"roles"`
}

// ---- small helpers over the API

func (e *env) createTenant(t *testing.T, admin *client, in tenantIn) tenantView {
	t.Helper()
	var out tenantView
	admin.Do(t, "POST", "/api/v2/admin/tenants", in).want(t, http.StatusCreated).decode(t, &out)
	return out
}

func (e *env) createUser(t *testing.T, admin *client, in userIn) userView {
	t.Helper()
	var out userView
	admin.Do(t, "POST", "/api/v2/admin/users", in).want(t, http.StatusCreated).decode(t, &out)
	return out
}

func (e *env) createRole(t *testing.T, admin *client, in roleIn) roleView {
	t.Helper()
	var out roleView
	admin.Do(t, "POST", "/api/v2/admin/roles", in).want(t, http.StatusCreated).decode(t, &out)
	return out
}

func (c *client) account(t *testing.T) accountOut {
	t.Helper()
	var out accountOut
	c.Do(t, "GET", "/api/v2/account", nil).want(t, http.StatusOK).decode(t, &out)
	return out
}

// switchTo returns a client connected to tenant.
func (c *client) switchTo(t *testing.T, tenant int64) *client {
	t.Helper()
	var out loginOut
	c.Do(t, "POST", fmt.Sprintf("/api/v2/account/tenants/%d/token", tenant), switchIn{}).
		want(t, http.StatusOK).decode(t, &out)
	return c.e.as(out.Token)
}

// tenantRoles summarises an account's or user's tenants as name → role names.
func tenantRoles(ts []tenantInfo) map[string][]string {
	out := map[string][]string{}
	for _, ti := range ts {
		out[ti.Name] = roleNames(ti.Roles)
	}
	return out
}

func roleNames(rs []roleInfo) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// Package api serves the KAMONOHASHI v2 REST API: routing, authentication
// and menu permissions, error bodies, paging, metrics and the OpenAPI
// document. Handlers are thin: decode, call the domain, encode.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/cidr"
	"github.com/kamonohashi-go/kamonohashi/internal/cluster"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/dataset"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
	"github.com/kamonohashi-go/kamonohashi/internal/job"
	"github.com/kamonohashi-go/kamonohashi/internal/registry"
	stores "github.com/kamonohashi-go/kamonohashi/internal/storage/endpoint"
)

// Server holds the API's dependencies.
type Server struct {
	id      *identity.Service
	log     *slog.Logger
	version string
	proxies cidr.List
	ready   atomic.Bool
	routes  []*Route
	metrics *metrics
	health  func(context.Context) error

	data        *data.Service
	datasets    *dataset.Service
	storages    *stores.Pool
	externalURL string
	jobs        *job.Service

	gits       *gitrepo.Service  // WithGit
	registries *registry.Service // WithRegistry
	cluster    *cluster.Service  // WithCluster
}

// Option configures a Server.
type Option func(*Server)

// WithHealthCheck makes /healthz also report the result of check (for
// example a database ping), so that a load balancer stops sending requests
// to a server that lost its database.
func WithHealthCheck(check func(context.Context) error) Option {
	return func(s *Server) { s.health = check }
}

// WithTrustedProxies names the reverse proxies (an ingress, a load
// balancer) whose X-Forwarded-For is believed when telling clients apart
// for login limits; without it every client behind them would share one
// address and one limit.
func WithTrustedProxies(l cidr.List) Option {
	return func(s *Server) { s.proxies = l }
}

// WithData serves the data, dataset and storage areas.
func WithData(d *data.Service, ds *dataset.Service, pool *stores.Pool) Option {
	return func(s *Server) { s.data, s.datasets, s.storages = d, ds, pool }
}

// WithJobs serves the training, inference and preprocessing areas.
func WithJobs(j *job.Service) Option { return func(s *Server) { s.jobs = j } }

// WithExternalURL sets the URL clients reach the server at, for the signed
// URLs the server serves itself; without it each request's Host is used.
func WithExternalURL(u string) Option {
	return func(s *Server) { s.externalURL = strings.TrimSuffix(u, "/") }
}

// New builds the API server. It answers 503 until SetReady(true).
func New(id *identity.Service, log *slog.Logger, version string, opts ...Option) *Server {
	s := &Server{id: id, log: log, version: version}
	for _, o := range opts {
		o(s)
	}
	s.routes = s.allRoutes()
	s.metrics = newMetrics()
	return s
}

// SetReady marks the server ready (or not) to serve API calls.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Routes returns the route table (for the OpenAPI document and tests).
func (s *Server) Routes() []*Route { return s.routes }

func (s *Server) allRoutes() []*Route {
	var rs []*Route
	for _, group := range [][]*Route{
		s.accountRoutes(), s.tenantRoutes(), s.userRoutes(), s.roleRoutes(), s.menuRoutes(), s.versionRoutes(),
		s.dataRoutes(), s.datasetRoutes(), s.storageRoutes(),
		s.trainingRoutes(), s.preprocessingRoutes(),
		s.gitRoutes(), s.registryRoutes(), s.runnerFileRoutes(),
		s.clusterRoutes(), s.resourceRoutes(),
	} {
		rs = append(rs, group...)
	}
	return rs
}

// handleUnlessConflict registers a 405 fallback unless it overlaps a real
// route of another shape without either being more specific (DELETE
// /training/{id}/files against DELETE /training/search-history/{id}): the
// mux refuses such pairs by panicking, and the real route must win.
func handleUnlessConflict(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	defer func() { _ = recover() }()
	mux.HandleFunc(pattern, h)
}

// Handler returns the HTTP handler of the whole server.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	methods := map[string][]string{} // path shape -> methods served there
	patterns := map[string]string{}  // path shape -> one path of that shape
	for _, rt := range s.routes {
		h := s.wrap(rt)
		// The original served every endpoint under /api/v1 too; old clients keep working.
		for _, p := range []string{rt.Path, strings.Replace(rt.Path, "/api/v2/", "/api/v1/", 1)} {
			mux.Handle(rt.Method+" "+p, h)
			// Paths that differ only in wildcard names ({name}, {fileId})
			// are one shape and get one fallback.
			shape := pathShape(p)
			methods[shape] = append(methods[shape], rt.Method)
			if _, ok := patterns[shape]; !ok {
				patterns[shape] = p
			}
		}
	}
	// Other methods on a known path get the error body with Allow, not the
	// mux's plain-text 405. They are registered per method: a method-less
	// pattern would conflict with a route of another shape that overlaps
	// it (/data/archive and GET /data/{id}).
	for shape, ms := range methods {
		allow := strings.Join(ms, ", ")
		h := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, r, s.log, &apperr.Error{Kind: apperr.KindMethodNotAllowed,
				Title: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path), Detail: "use " + allow})
		}
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			if slices.Contains(ms, m) || (m == "HEAD" && slices.Contains(ms, "GET")) {
				continue
			}
			handleUnlessConflict(mux, m+" "+patterns[shape], h)
		}
	}
	if s.data != nil {
		mux.HandleFunc("/signed/", s.signedStorage)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/openapi.json", openAPIHandler(s.routes, s.version, s.log))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, apperr.NotFound("no API endpoint %s %s", r.Method, r.URL.Path).
			WithDetail("see /api/openapi.json for the endpoints this server offers"))
	})
	mux.Handle("/", s.console())
	return s.recoverer(securityHeaders(mux))
}

// pathShape replaces the names of path wildcards with {}.
func pathShape(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	if s.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.health(ctx); err != nil {
			s.log.Warn("health check failed", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.version})
}

// wrap adds readiness, authentication, the menu check and metrics to a route.
func (s *Server) wrap(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			d := time.Since(start)
			s.metrics.observe(rt, rec.status, d)
			s.log.Debug("request", "method", r.Method, "route", rt.Path, "status", rec.status, "duration", d, "peer", r.RemoteAddr)
		}()
		if !s.ready.Load() {
			w.Header().Set("Retry-After", "1")
			writeError(rec, r, s.log, &apperr.Error{Kind: apperr.KindUnavailable, Title: "the server is starting"})
			return
		}
		if !rt.Public {
			p, err := s.authenticate(r)
			if err != nil {
				writeError(rec, r, s.log, err)
				return
			}
			if err := p.RequireAny(rt.Menus...); err != nil {
				writeError(rec, r, s.log, err)
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		if err := rt.handle(rec, r); err != nil {
			writeError(rec, r, s.log, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, apperr.Unauthorized("The access code is required.").
			WithDetail("send Authorization: Bearer <token> from POST /api/v2/account/login")
	}
	return s.id.Authenticate(r.Context(), strings.TrimSpace(token))
}

// clientAddr is the address used for login rate limiting: the peer, or,
// when the peer is a trusted proxy, the nearest address in X-Forwarded-For
// that is not one of the trusted proxies. Anything further left could have
// been written by the client itself.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !s.proxies.Contains(ip) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a garbled header: limit the proxy's own address
		}
		if !s.proxies.Contains(hop) {
			return hop.Unmap().String()
		}
	}
	return host
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
				writeError(w, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kamonohashi_http_requests_total", Help: "API requests by route and status.",
	}, []string{"method", "route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kamonohashi_http_request_duration_seconds", Help: "API request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(rt *Route, status int, d time.Duration) {
	m.requests.WithLabelValues(rt.Method, rt.Path, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(rt.Method, rt.Path).Observe(d.Seconds())
}

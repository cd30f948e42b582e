// Package endpoint manages storage endpoints (the admin's Storage screen):
// where each tenant's files live. Endpoint 1 is the server's configured
// storage (a directory or S3); administrators may add S3 stores and
// directories (NFS mounts) and move tenants onto them. The Pool builds and
// caches one storage.Store per endpoint.
package endpoint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// DefaultID is the endpoint of the server's configured storage.
const DefaultID = 1

// Default describes the configured storage, for its view.
type Default struct {
	Store     storage.Store
	Endpoint  string // S3 endpoint URL, empty for a directory
	Region    string
	Bucket    string
	PathStyle bool
	Directory string
}

// Pool resolves endpoints to backends.
type Pool struct {
	db      *store.DB
	secrets *secret.Box
	def     Default
	signKey []byte
	log     *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	modified time.Time
	st       storage.Store
}

// NewPool returns a pool whose endpoint 1 is def; directories added by
// administrators sign their URLs with signKey.
func NewPool(db *store.DB, secrets *secret.Box, def Default, signKey []byte, log *slog.Logger) *Pool {
	return &Pool{db: db, secrets: secrets, def: def, signKey: signKey, log: log, now: time.Now,
		cache: map[int64]cached{}}
}

// ForStorage returns the backend of endpoint id, building it on first use
// and again after the endpoint is edited.
func (p *Pool) ForStorage(ctx context.Context, id int64) (storage.Store, error) {
	if id == DefaultID {
		return p.def.Store, nil
	}
	row, err := p.db.Q().StorageByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("storage %d: %w", id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.cache[id]; ok && c.modified.Equal(row.ModifiedAt) {
		return c.st, nil
	}
	st, err := p.build(ctx, row)
	if err != nil {
		return nil, err
	}
	p.cache[id] = cached{modified: row.ModifiedAt, st: st}
	return st, nil
}

func (p *Pool) build(ctx context.Context, row store.Storage) (storage.Store, error) {
	if row.ServerAddress != "" {
		secretKey, err := p.secrets.Open(row.SecretSealed)
		if err != nil {
			return nil, fmt.Errorf("storage %d: open secret key: %w", row.ID, err)
		}
		return storage.NewS3(ctx, storage.S3Config{Endpoint: endpointURL(row.ServerAddress), Region: row.Region,
			Bucket: row.Bucket, PathStyle: row.PathStyle, AccessKey: row.AccessKey, SecretKey: secretKey})
	}
	if row.Directory != "" {
		return storage.NewFS(row.Directory, p.signKey)
	}
	return nil, fmt.Errorf("storage %d (%s) has neither a server URL nor a directory", row.ID, row.Name)
}

// endpointURL accepts the original's host:port form as well as a URL.
func endpointURL(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	return "http://" + s
}

// All returns the backend of every endpoint that can be built (for the
// periodic clean-up); endpoints that fail are logged and skipped.
func (p *Pool) All(ctx context.Context) []storage.Store {
	rows, err := p.db.Q().ListStorages(ctx)
	if err != nil {
		p.log.Warn("list storages", "error", err)
		return []storage.Store{p.def.Store}
	}
	var out []storage.Store
	for _, r := range rows {
		st, err := p.ForStorage(ctx, r.ID)
		if err != nil {
			p.log.Warn("storage unavailable", "storage", r.ID, "error", err)
			continue
		}
		out = append(out, st)
	}
	return out
}

// EnsureTenant prepares a tenant's place on endpoint id (a directory or a
// bucket); tenant creation calls it.
func (p *Pool) EnsureTenant(ctx context.Context, id int64, tenant string) error {
	st, err := p.ForStorage(ctx, id)
	if err != nil {
		return err
	}
	if err := st.EnsureTenant(ctx, tenant); err != nil {
		return (&apperr.Error{Kind: apperr.KindUnavailable, Title: "the storage could not prepare the tenant's files"}).
			WithDetail("%v", err).Wrap(err)
	}
	return nil
}

// View is an endpoint in lists.
type View struct {
	audit.View
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ServerURL string `json:"serverUrl"`
	NfsServer string `json:"nfsServer"`
	NfsRoot   string `json:"nfsRoot"`
	Region    string `json:"region"`
	Bucket    string `json:"bucket"`
	PathStyle bool   `json:"pathStyle"`
	Directory string `json:"directory"`
	// Configured: endpoint 1, whose backend comes from the server's settings.
	Configured bool `json:"configured"`
}

// Details adds the access key; the secret key is never returned.
type Details struct {
	View
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// Input is the body of create and edit. An S3 endpoint has serverUrl and
// keys; a directory endpoint has directory. On edit an empty secretKey
// keeps the stored one.
type Input struct {
	Name      string `json:"name"`
	ServerURL string `json:"serverUrl,omitempty"`
	AccessKey string `json:"accessKey,omitempty"`
	SecretKey string `json:"secretKey,omitempty"`
	NfsServer string `json:"nfsServer,omitempty"`
	NfsRoot   string `json:"nfsRoot,omitempty"`
	Region    string `json:"region,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	PathStyle *bool  `json:"pathStyle,omitempty"`
	Directory string `json:"directory,omitempty"`
}

func (p *Pool) view(r store.Storage) View {
	v := View{View: audit.Of(r.Audit), ID: r.ID, Name: r.Name, ServerURL: r.ServerAddress, NfsServer: r.NfsServer,
		NfsRoot: r.NfsRoot, Region: r.Region, Bucket: r.Bucket, PathStyle: r.PathStyle, Directory: r.Directory}
	if r.ID == DefaultID {
		v.Configured = true
		v.ServerURL, v.Region, v.Bucket, v.PathStyle, v.Directory =
			p.def.Endpoint, p.def.Region, p.def.Bucket, p.def.PathStyle, p.def.Directory
	}
	return v
}

// List returns every endpoint.
func (p *Pool) List(ctx context.Context) ([]View, error) {
	rows, err := p.db.Q().ListStorages(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(rows))
	for _, r := range rows {
		out = append(out, p.view(r))
	}
	return out, nil
}

// Get returns one endpoint.
func (p *Pool) Get(ctx context.Context, id int64) (Details, error) {
	r, err := p.db.Q().StorageByID(ctx, id)
	if err != nil {
		return Details{}, notFound(err, id)
	}
	return Details{View: p.view(r), AccessKey: r.AccessKey}, nil
}

func notFound(err error, id int64) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("storage %d is not found", id)
	}
	return err
}

// apply validates in onto row; secret sealing happens here too.
func (p *Pool) apply(row *store.Storage, in Input) error {
	row.Name = strings.TrimSpace(in.Name)
	if row.Name == "" {
		return apperr.Invalid("name is required")
	}
	row.NfsServer, row.NfsRoot = strings.TrimSpace(in.NfsServer), strings.TrimSpace(in.NfsRoot)
	if row.ID == DefaultID {
		if in.ServerURL != "" || in.AccessKey != "" || in.SecretKey != "" || in.Directory != "" || in.Bucket != "" {
			return apperr.Invalid("storage 1 is the server's configured storage").
				WithDetail("change its backend in the server configuration (storage settings); here only name, nfsServer and nfsRoot")
		}
		return nil
	}
	row.ServerAddress, row.Directory = strings.TrimSpace(in.ServerURL), strings.TrimSpace(in.Directory)
	switch {
	case row.ServerAddress != "" && row.Directory != "":
		return apperr.Invalid("give either serverUrl (S3) or directory, not both")
	case row.ServerAddress == "" && row.Directory == "":
		return apperr.Invalid("serverUrl or directory is required").
			WithDetail("serverUrl for an S3-compatible store, directory for a path (an NFS mount) on the server")
	case row.Directory != "" && !filepath.IsAbs(row.Directory):
		return apperr.Invalid("directory %q must be an absolute path", row.Directory)
	case row.Directory != "":
		row.AccessKey, row.SecretSealed, row.Region, row.Bucket = "", "", "", ""
		return nil
	}
	u, err := url.Parse(endpointURL(row.ServerAddress))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid("serverUrl %q is not an http(s) URL or host:port", row.ServerAddress)
	}
	row.AccessKey, row.Region, row.Bucket = strings.TrimSpace(in.AccessKey), strings.TrimSpace(in.Region), strings.TrimSpace(in.Bucket)
	if in.PathStyle != nil {
		row.PathStyle = *in.PathStyle
	}
	if row.AccessKey == "" {
		return apperr.Invalid("accessKey is required for an S3 storage")
	}
	if in.SecretKey != "" {
		sealed, err := p.secrets.Seal(in.SecretKey)
		if err != nil {
			return err
		}
		row.SecretSealed = sealed
	}
	if row.SecretSealed == "" {
		return apperr.Invalid("secretKey is required for an S3 storage")
	}
	return nil
}

// Create registers an endpoint after checking that it can be reached.
func (p *Pool) Create(ctx context.Context, in Input) (View, error) {
	pr, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	row := store.Storage{PathStyle: true}
	if err := p.apply(&row, in); err != nil {
		return View{}, err
	}
	if _, err := p.build(ctx, row); err != nil {
		return View{}, apperr.Invalid("the storage cannot be used: %v", err).Wrap(err)
	}
	id, err := p.db.Q().InsertStorage(ctx, row, pr.UserName, p.now())
	if err != nil {
		if store.IsUnique(err) {
			return View{}, apperr.Conflict("a storage named %q exists already", row.Name)
		}
		return View{}, err
	}
	r, err := p.db.Q().StorageByID(ctx, id)
	return p.view(r), err
}

// Edit changes an endpoint; tenants on it follow at once.
func (p *Pool) Edit(ctx context.Context, id int64, in Input) (View, error) {
	pr, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	row, err := p.db.Q().StorageByID(ctx, id)
	if err != nil {
		return View{}, notFound(err, id)
	}
	if err := p.apply(&row, in); err != nil {
		return View{}, err
	}
	if id != DefaultID {
		if _, err := p.build(ctx, row); err != nil {
			return View{}, apperr.Invalid("the storage cannot be used: %v", err).Wrap(err)
		}
	}
	if err := p.db.Q().UpdateStorage(ctx, row, pr.UserName, p.now()); err != nil {
		if store.IsUnique(err) {
			return View{}, apperr.Conflict("a storage named %q exists already", row.Name)
		}
		return View{}, err
	}
	r, err := p.db.Q().StorageByID(ctx, id)
	return p.view(r), err
}

// Delete removes an endpoint no tenant uses.
func (p *Pool) Delete(ctx context.Context, id int64) error {
	if id == DefaultID {
		return apperr.Conflict("storage 1 is the server's configured storage and cannot be deleted")
	}
	q := p.db.Q()
	if _, err := q.StorageByID(ctx, id); err != nil {
		return notFound(err, id)
	}
	tenants, err := q.TenantsOnStorage(ctx, id)
	if err != nil {
		return err
	}
	if len(tenants) > 0 {
		return apperr.Conflict("storage %d is used by tenant %s", id, strings.Join(tenants, ", ")).
			WithDetail("move those tenants to another storage first")
	}
	if err := q.DeleteStorage(ctx, id); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.cache, id)
	p.mu.Unlock()
	return nil
}

// ForTenant is the store that holds a tenant's files, by tenant name; the
// runners resolve a job's storage keys through it.
func (p *Pool) ForTenant(ctx context.Context, tenant string) (storage.Store, error) {
	t, err := p.db.Q().TenantByName(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", tenant, err)
	}
	return p.ForStorage(ctx, t.StorageID)
}

// Package data is the data domain: named sets of uploaded files with tags,
// the upload and download protocol that fills them, and the clean-up of
// uploads nobody registered. Files live in package storage under
// <tenant>/Data/<stored path>; the database records name, size and SHA-256.
package data

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// MaxFiles is the original's limit of files in one data.
const MaxFiles = 10000

// Stores finds the backend of a storage endpoint.
type Stores interface {
	ForStorage(ctx context.Context, storageID int64) (storage.Store, error)
}

// Service implements the data domain.
type Service struct {
	db        *store.DB
	stores    Stores
	now       func() time.Time
	log       *slog.Logger
	urlTTL    time.Duration
	maxUpload int64
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithURLLifetime sets how long signed upload and download URLs stay valid
// (the original's 24 hours by default); unregistered uploads are removed
// once they are older than this.
func WithURLLifetime(d time.Duration) Option { return func(s *Service) { s.urlTTL = d } }

// WithMaxUpload bounds one streamed upload or archive, in bytes (0: no bound).
func WithMaxUpload(n int64) Option { return func(s *Service) { s.maxUpload = n } }

// New returns the data service.
func New(db *store.DB, stores Stores, opts ...Option) *Service {
	s := &Service{db: db, stores: stores, now: time.Now, log: slog.Default(), urlTTL: 24 * time.Hour}
	for _, o := range opts {
		o(s)
	}
	return s
}

// MaxUpload is the bound of one streamed upload (0: none).
func (s *Service) MaxUpload() int64 { return s.maxUpload }

// View is a data in lists.
type View struct {
	audit.View
	ID             int64    `json:"id"`
	DisplayID      int64    `json:"displayId"`
	Name           string   `json:"name"`
	Memo           string   `json:"memo"`
	IsRaw          bool     `json:"isRaw"`
	ParentDataName *string  `json:"parentDataName"`
	ParentDataID   *int64   `json:"parentDataId"`
	Tags           []string `json:"tags"`
}

// PreprocessHistoryView is a preprocessing run that used this data.
type PreprocessHistoryView struct {
	ID             int64  `json:"id"`
	InputDataID    int64  `json:"inputDataId"`
	InputDataName  string `json:"inputDataName"`
	PreprocessID   int64  `json:"preprocessId"`
	PreprocessName string `json:"preprocessName"`
}

// Details adds the files, the parent and the preprocessing runs.
type Details struct {
	View
	FileNames []string                `json:"fileNames"`
	Parent    *View                   `json:"parent"`
	Children  []PreprocessHistoryView `json:"children"`
}

// Input is the body of data create.
type Input struct {
	Name string   `json:"name"`
	Memo string   `json:"memo,omitempty"`
	Tags []string `json:"tags,omitempty"`
	// ParentDataID is set by preprocessing: the data it was made from.
	ParentDataID int64 `json:"-"`
}

// EditInput is the body of data edit; absent fields stay as they are.
type EditInput struct {
	Name *string   `json:"name,omitempty"`
	Memo *string   `json:"memo,omitempty"`
	Tags *[]string `json:"tags,omitempty"`
}

func caller(ctx context.Context) (*auth.Principal, error) { return auth.FromContext(ctx) }

func notFound(err error, what string, id any) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("%s %v is not found", what, id)
	}
	return err
}

// CheckTag applies the original's tag rule: no comma, and not starting
// with !, =, < or > (those are filter operators).
func CheckTag(tag string) error {
	switch {
	case strings.TrimSpace(tag) == "":
		return apperr.Invalid("a tag must not be blank")
	case len(tag) > 256:
		return apperr.Invalid("tag %.20q… is longer than 256 bytes", tag)
	case strings.Contains(tag, ","):
		return apperr.Invalid("tag %q must not contain a comma", tag)
	case strings.ContainsAny(tag[:1], "!=<>"):
		return apperr.Invalid("tag %q must not start with !, =, < or >", tag).
			WithDetail("those characters are filter operators in searches")
	}
	return nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", apperr.Invalid("name is required").WithDetail("give the data a non-blank name")
	}
	if len(name) > 1024 {
		return "", apperr.Invalid("name is longer than 1024 bytes")
	}
	return name, nil
}

// views builds list views of ds with their tags and parents.
func (s *Service) views(ctx context.Context, q store.Q, tenantID int64, ds []store.Data, dataID int64) ([]View, error) {
	tags, err := q.DataTags(ctx, tenantID, dataID)
	if err != nil {
		return nil, err
	}
	byData := map[int64][]string{}
	for _, t := range tags {
		byData[t.DataID] = append(byData[t.DataID], t.Name)
	}
	names := map[int64]string{}
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	out := make([]View, 0, len(ds))
	for _, d := range ds {
		v := View{View: audit.Of(d.Audit), ID: d.ID, DisplayID: d.DisplayID, Name: d.Name, Memo: d.Memo,
			IsRaw: !d.ParentDataID.Valid, Tags: byData[d.ID]}
		if v.Tags == nil {
			v.Tags = []string{}
		}
		if d.ParentDataID.Valid {
			id := d.ParentDataID.Int64
			v.ParentDataID = &id
			name, ok := names[id]
			if !ok {
				if p, err := q.DataByID(ctx, tenantID, id); err == nil {
					name = p.Name
				}
			}
			v.ParentDataName = &name
		}
		out = append(out, v)
	}
	return out, nil
}

// List returns the tenant's data, newest first; the API filters them.
func (s *Service) List(ctx context.Context) ([]View, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	ds, err := q.ListData(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return s.views(ctx, q, p.TenantID, ds, 0)
}

// ViewsOf returns the views of the given data ids of the tenant, by id
// (datasets use it).
func (s *Service) ViewsOf(ctx context.Context, q store.Q, tenantID int64, ids []int64) (map[int64]View, error) {
	ds, err := q.DataByIDs(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	vs, err := s.views(ctx, q, tenantID, ds, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]View, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}

func (s *Service) view(ctx context.Context, q store.Q, tenantID, id int64) (View, store.Data, error) {
	d, err := q.DataByID(ctx, tenantID, id)
	if err != nil {
		return View{}, d, notFound(err, "data", id)
	}
	vs, err := s.views(ctx, q, tenantID, []store.Data{d}, d.ID)
	if err != nil {
		return View{}, d, err
	}
	return vs[0], d, nil
}

// Get returns one data with its file names.
func (s *Service) Get(ctx context.Context, id int64) (Details, error) {
	p, err := caller(ctx)
	if err != nil {
		return Details{}, err
	}
	q := s.db.Q()
	v, d, err := s.view(ctx, q, p.TenantID, id)
	if err != nil {
		return Details{}, err
	}
	files, err := q.DataFiles(ctx, p.TenantID, id)
	if err != nil {
		return Details{}, err
	}
	out := Details{View: v, FileNames: make([]string, 0, len(files)), Children: []PreprocessHistoryView{}}
	for _, f := range files {
		out.FileNames = append(out.FileNames, f.FileName)
	}
	if d.ParentDataID.Valid {
		if pv, _, err := s.view(ctx, q, p.TenantID, d.ParentDataID.Int64); err == nil {
			out.Parent = &pv
		}
	}
	return out, nil
}

// Create makes an empty data; files are added to it afterwards.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	p, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.create(ctx, tx.Q(), p, in)
		return err
	})
	if err != nil {
		return View{}, err
	}
	v, _, err := s.view(ctx, s.db.Q(), p.TenantID, id)
	return v, err
}

func (s *Service) create(ctx context.Context, q store.Q, p *auth.Principal, in Input) (int64, error) {
	name, err := checkName(in.Name)
	if err != nil {
		return 0, err
	}
	for _, t := range in.Tags {
		if err := CheckTag(t); err != nil {
			return 0, err
		}
	}
	did, err := q.NextDisplayID(ctx, p.TenantID, "data")
	if err != nil {
		return 0, err
	}
	id, err := q.InsertData(ctx, store.Data{TenantID: p.TenantID, DisplayID: did, Name: name, Memo: in.Memo,
		ParentDataID: store.NullInt(in.ParentDataID)},
		p.UserName, s.now())
	if err != nil {
		return 0, err
	}
	return id, s.setTags(ctx, q, p.TenantID, id, in.Tags)
}

func (s *Service) setTags(ctx context.Context, q store.Q, tenantID, dataID int64, tags []string) error {
	if err := q.ClearDataTags(ctx, dataID); err != nil {
		return err
	}
	for _, t := range tags {
		tid, err := q.EnsureTag(ctx, tenantID, store.TagData, strings.TrimSpace(t))
		if err != nil {
			return err
		}
		if err := q.AddDataTag(ctx, dataID, tid); err != nil {
			return err
		}
	}
	return nil
}

// Edit changes name, memo and tags; always allowed, even for data in a
// locked dataset (none of them changes what a job reads).
func (s *Service) Edit(ctx context.Context, id int64, in EditInput) (View, error) {
	p, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		d, err := q.DataByID(ctx, p.TenantID, id)
		if err != nil {
			return notFound(err, "data", id)
		}
		if in.Name != nil {
			if d.Name, err = checkName(*in.Name); err != nil {
				return err
			}
		}
		if in.Memo != nil {
			d.Memo = *in.Memo
		}
		if in.Tags != nil {
			for _, t := range *in.Tags {
				if err := CheckTag(t); err != nil {
					return err
				}
			}
			if err := s.setTags(ctx, q, p.TenantID, id, *in.Tags); err != nil {
				return err
			}
		}
		return q.UpdateData(ctx, d, p.UserName, s.now())
	})
	if err != nil {
		return View{}, err
	}
	v, _, err := s.view(ctx, s.db.Q(), p.TenantID, id)
	return v, err
}

// AddTag attaches one tag.
func (s *Service) AddTag(ctx context.Context, id int64, tag string) (View, error) {
	p, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	if err := CheckTag(tag); err != nil {
		return View{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
			return notFound(err, "data", id)
		}
		tid, err := q.EnsureTag(ctx, p.TenantID, store.TagData, strings.TrimSpace(tag))
		if err != nil {
			return err
		}
		if err := q.AddDataTag(ctx, id, tid); err != nil {
			return err
		}
		return q.TouchData(ctx, p.TenantID, id, p.UserName, s.now())
	})
	if err != nil {
		return View{}, err
	}
	v, _, err := s.view(ctx, s.db.Q(), p.TenantID, id)
	return v, err
}

// RemoveTag detaches one tag; a tag the data does not carry is a 404.
func (s *Service) RemoveTag(ctx context.Context, id int64, tag string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
			return notFound(err, "data", id)
		}
		n, err := q.RemoveDataTag(ctx, p.TenantID, id, tag)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("data %d has no tag %q", id, tag)
		}
		return q.TouchData(ctx, p.TenantID, id, p.UserName, s.now())
	})
}

// Tags lists the tenant's data tags.
func (s *Service) Tags(ctx context.Context) ([]string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := s.db.Q().Tags(ctx, p.TenantID, store.TagData)
	if tags == nil {
		tags = []string{}
	}
	return tags, err
}

// PurgeTags deletes the tenant's data tags that no data carries.
func (s *Service) PurgeTags(ctx context.Context) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	_, err = s.db.Q().PurgeDataTags(ctx, p.TenantID)
	return err
}

// lockedBy returns an error naming the locked datasets that contain the
// data, or nil when none does.
func lockedBy(ctx context.Context, q store.Q, tenantID, dataID int64, action string) error {
	ds, err := q.DatasetsWithData(ctx, tenantID, dataID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.IsLocked {
			return apperr.Conflict("data %d is in dataset %d (%s), which a training uses", dataID, d.ID, d.Name).
				WithDetail("%s is refused so that the training's input stays as it was; copy the data to change it", action)
		}
	}
	return nil
}

// Delete removes a data with its files, unless a locked dataset holds it or
// a preprocessing history used or made it.
func (s *Service) Delete(ctx context.Context, id int64) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	var files []store.DataFile
	var storageID int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		d, err := q.DataByID(ctx, p.TenantID, id)
		if err != nil {
			return notFound(err, "data", id)
		}
		if err := lockedBy(ctx, q, p.TenantID, id, "deleting it"); err != nil {
			return err
		}
		used, err := q.DataInPreprocessing(ctx, d.ID)
		if err != nil {
			return err
		}
		if used {
			return apperr.Conflict("data %d is the input or an output of a preprocessing history", id).
				WithDetail("delete the preprocessing history instead")
		}
		if files, err = q.DataFiles(ctx, p.TenantID, id); err != nil {
			return err
		}
		t, err := q.TenantByID(ctx, p.TenantID)
		if err != nil {
			return err
		}
		storageID = t.StorageID
		return q.DeleteData(ctx, p.TenantID, id)
	})
	if err != nil {
		return err
	}
	// The rows are gone; the bytes follow. A failure here leaves unreferenced
	// objects (logged), never a row without its file.
	st, err := s.stores.ForStorage(ctx, storageID)
	if err != nil {
		s.log.Warn("data deleted, its files were not", "data", id, "error", err)
		return nil
	}
	for _, f := range files {
		k, err := storage.NewKey(p.TenantName, storage.Data, f.StoredPath)
		if err == nil {
			err = st.Delete(ctx, k)
		}
		if err != nil {
			s.log.Warn("delete data file object", "data", id, "file", f.ID, "error", err)
		}
	}
	return nil
}

// tenantStore returns the backend holding the caller's tenant's files.
func (s *Service) tenantStore(ctx context.Context, tenantID int64) (storage.Store, error) {
	t, err := s.db.Q().TenantByID(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("tenant %d: %w", tenantID, err)
	}
	st, err := s.stores.ForStorage(ctx, t.StorageID)
	if err != nil {
		return nil, (&apperr.Error{Kind: apperr.KindUnavailable, Title: "the tenant's storage is not available"}).
			WithDetail("%v", err).Wrap(err)
	}
	return st, nil
}

// SignedServer serves the signed URLs of a backend that serves its own
// (the directory backend).
type SignedServer interface {
	ServeSigned(w http.ResponseWriter, r *http.Request) error
}

// SignedServer returns the server of signed URLs for a tenant's files.
func (s *Service) SignedServer(ctx context.Context, tenant string) (SignedServer, error) {
	t, err := s.db.Q().TenantByName(ctx, tenant)
	if err != nil {
		return nil, notFound(err, "tenant", tenant)
	}
	st, err := s.stores.ForStorage(ctx, t.StorageID)
	if err != nil {
		return nil, err
	}
	srv, ok := st.(SignedServer)
	if !ok {
		return nil, apperr.NotFound("tenant %s keeps its files in an S3 store; use the store's URLs", tenant)
	}
	return srv, nil
}

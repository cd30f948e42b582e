// Package dataset is the dataset domain: data grouped for jobs, either by
// data type (training, testing, validation) or flat, with the path pairs
// that jobs use to lay the files out under /kqi/input. A dataset is locked
// once a training uses it; its entries then never change.
package dataset

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/audit"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// Service implements the dataset domain.
type Service struct {
	db   *store.DB
	data *data.Service
	now  func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns the dataset service.
func New(db *store.DB, d *data.Service, opts ...Option) *Service {
	s := &Service{db: db, data: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// View is a dataset in lists.
type View struct {
	audit.View
	ID        int64  `json:"id"`
	DisplayID int64  `json:"displayId"`
	Name      string `json:"name"`
	Memo      string `json:"memo"`
	IsFlat    bool   `json:"isFlat"`
	// IsLocked: a training uses the dataset, so its entries are frozen (in
	// lists too, an addition: the original showed it on details only).
	IsLocked bool `json:"isLocked"`
}

// Details adds the entries: by data type name, or flat.
type Details struct {
	View
	Entries     map[string][]data.View `json:"entries"`
	FlatEntries []data.View            `json:"flatEntries"`
}

// Entry names one data.
type Entry struct {
	ID int64 `json:"id"`
}

// Input is the body of dataset create.
type Input struct {
	Name        string             `json:"name"`
	Memo        string             `json:"memo,omitempty"`
	IsFlat      bool               `json:"isFlat,omitempty"`
	Entries     map[string][]Entry `json:"entries"`
	FlatEntries []Entry            `json:"flatEntries,omitempty"`
}

// EntriesInput is the body of PUT /datasets/{id}: new entries, and name
// and memo when given.
type EntriesInput struct {
	Name        string             `json:"name,omitempty"`
	Memo        *string            `json:"memo,omitempty"`
	Entries     map[string][]Entry `json:"entries,omitempty"`
	FlatEntries []Entry            `json:"flatEntries,omitempty"`
}

// MetaInput is the body of PATCH /datasets/{id}.
type MetaInput struct {
	Name string  `json:"name,omitempty"`
	Memo *string `json:"memo,omitempty"`
}

// DataType is one data type.
type DataType struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// FilesEntry is the files of one data type.
type FilesEntry struct {
	Type  string          `json:"type"`
	Files []data.FileView `json:"files"`
}

// FilesView lists every file of a dataset.
type FilesView struct {
	View
	Entries     []FilesEntry    `json:"entries"`
	FlatEntries []data.FileView `json:"flatEntries"`
}

// PathPair maps a path under /kqi/input to the stored file.
type PathPair struct {
	DataPath   string `json:"dataPath"`
	StoredPath string `json:"storedPath"`
}

func view(d store.Dataset) View {
	return View{View: audit.Of(d.Audit), ID: d.ID, DisplayID: d.DisplayID, Name: d.Name, Memo: d.Memo, IsFlat: d.IsFlat,
		IsLocked: d.IsLocked}
}

func notFound(err error, id int64) error {
	if errors.Is(err, store.ErrNoRows) {
		return apperr.NotFound("dataset %d is not found", id)
	}
	return err
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", apperr.Invalid("name is required").WithDetail("give the dataset a non-blank name")
	}
	return name, nil
}

// DataTypes lists the data types.
func (s *Service) DataTypes(ctx context.Context) ([]DataType, error) {
	ts, err := s.db.Q().DataTypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DataType, 0, len(ts))
	for _, t := range ts {
		out = append(out, DataType{ID: t.ID, Name: t.Name})
	}
	return out, nil
}

// List returns the tenant's datasets, newest first.
func (s *Service) List(ctx context.Context) ([]View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.db.Q().ListDatasets(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(ds))
	for _, d := range ds {
		out = append(out, view(d))
	}
	return out, nil
}

// Get returns a dataset with its entries.
func (s *Service) Get(ctx context.Context, id int64) (Details, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return Details{}, err
	}
	q := s.db.Q()
	d, err := q.DatasetByID(ctx, p.TenantID, id)
	if err != nil {
		return Details{}, notFound(err, id)
	}
	es, types, err := s.entries(ctx, q, id)
	if err != nil {
		return Details{}, err
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.DataID
	}
	views, err := s.data.ViewsOf(ctx, q, p.TenantID, ids)
	if err != nil {
		return Details{}, err
	}
	out := Details{View: view(d), Entries: map[string][]data.View{}, FlatEntries: []data.View{}}
	if !d.IsFlat {
		for _, t := range types {
			out.Entries[t.Name] = []data.View{}
		}
	}
	for _, e := range es {
		v := views[e.DataID]
		if d.IsFlat || !e.DataTypeID.Valid {
			out.FlatEntries = append(out.FlatEntries, v)
			continue
		}
		name := typeName(types, e.DataTypeID.Int64)
		out.Entries[name] = append(out.Entries[name], v)
	}
	return out, nil
}

func (s *Service) entries(ctx context.Context, q store.Q, id int64) ([]store.DatasetEntry, []store.DataType, error) {
	es, err := q.DatasetEntries(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	types, err := q.DataTypes(ctx)
	return es, types, err
}

func typeName(types []store.DataType, id int64) string {
	for _, t := range types {
		if t.ID == id {
			return t.Name
		}
	}
	return strconv.FormatInt(id, 10)
}

// resolve checks entries against the tenant's data and the data types:
// every data exists, no data appears twice, every type is known.
func resolve(ctx context.Context, q store.Q, tenantID int64, flat bool, entries map[string][]Entry,
	flatEntries []Entry) ([]store.DatasetEntry, error) {
	types, err := q.DataTypes(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.DatasetEntry
	switch {
	case flat && countEntries(entries) > 0:
		return nil, apperr.Invalid("a flat dataset takes flatEntries, not entries")
	case flat:
		for _, e := range flatEntries {
			out = append(out, store.DatasetEntry{DataID: e.ID})
		}
	case len(flatEntries) > 0:
		return nil, apperr.Invalid("flatEntries are only for a flat dataset").WithDetail("set isFlat, or use entries")
	default:
		names := slices.Sorted(maps.Keys(entries)) // a stable error for several unknown types
		for _, name := range names {
			if !slices.ContainsFunc(types, func(t store.DataType) bool { return t.Name == name }) {
				return nil, apperr.Invalid("unknown data type %q", name).WithDetail("use training, testing or validation")
			}
		}
		// Types in their sort order, so that entries come out the same way every time.
		for _, t := range types {
			for _, e := range entries[t.Name] {
				out = append(out, store.DatasetEntry{DataID: e.ID, DataTypeID: store.NullInt(t.ID)})
			}
		}
	}
	ids := make([]int64, 0, len(out))
	seen := map[int64]bool{}
	for _, e := range out {
		if seen[e.DataID] {
			return nil, apperr.Invalid("data %d appears more than once in the dataset", e.DataID).
				WithDetail("a data can be in a dataset only once")
		}
		seen[e.DataID] = true
		ids = append(ids, e.DataID)
	}
	found, err := q.DataByIDs(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	exists := map[int64]bool{}
	for _, d := range found {
		exists[d.ID] = true
	}
	for _, id := range ids {
		if !exists[id] {
			return nil, apperr.NotFound("data %d is not found", id)
		}
	}
	return out, nil
}

func countEntries(m map[string][]Entry) int {
	n := 0
	for _, es := range m {
		n += len(es)
	}
	return n
}

// Create makes a dataset.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	name, err := checkName(in.Name)
	if err != nil {
		return View{}, err
	}
	if !in.IsFlat && in.Entries == nil {
		return View{}, apperr.Invalid("entries is required").WithDetail("map data type names to lists of {id}")
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		es, err := resolve(ctx, q, p.TenantID, in.IsFlat, in.Entries, in.FlatEntries)
		if err != nil {
			return err
		}
		did, err := q.NextDisplayID(ctx, p.TenantID, "dataset")
		if err != nil {
			return err
		}
		if id, err = q.InsertDataset(ctx, store.Dataset{TenantID: p.TenantID, DisplayID: did, Name: name,
			Memo: in.Memo, IsFlat: in.IsFlat}, p.UserName, s.now()); err != nil {
			return err
		}
		return q.SetDatasetEntries(ctx, id, es)
	})
	if err != nil {
		return View{}, err
	}
	d, err := s.db.Q().DatasetByID(ctx, p.TenantID, id)
	return view(d), err
}

// EditMeta changes name and memo; allowed even when locked.
func (s *Service) EditMeta(ctx context.Context, id int64, in MetaInput) (View, error) {
	return s.edit(ctx, id, in.Name, in.Memo, nil)
}

// EditEntries replaces the entries (and name and memo when given), unless
// a training uses the dataset.
func (s *Service) EditEntries(ctx context.Context, id int64, in EntriesInput) (View, error) {
	return s.edit(ctx, id, in.Name, in.Memo, func(q store.Q, d store.Dataset) error {
		if d.IsLocked {
			return apperr.Conflict("dataset %d is used by a training and cannot be changed", id).
				WithDetail("its name and memo can still be edited (PATCH); create a new dataset to change the data")
		}
		es, err := resolve(ctx, q, d.TenantID, d.IsFlat, in.Entries, in.FlatEntries)
		if err != nil {
			return err
		}
		return q.SetDatasetEntries(ctx, id, es)
	})
}

// edit applies name and memo (when given) and then change, in one
// transaction.
func (s *Service) edit(ctx context.Context, id int64, name string, memo *string,
	change func(q store.Q, d store.Dataset) error) (View, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return View{}, err
	}
	var out store.Dataset
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		d, err := q.DatasetByID(ctx, p.TenantID, id)
		if err != nil {
			return notFound(err, id)
		}
		if change != nil {
			if err := change(q, d); err != nil {
				return err
			}
		}
		if name != "" {
			if d.Name, err = checkName(name); err != nil {
				return err
			}
		}
		if memo != nil {
			d.Memo = *memo
		}
		out = d
		return q.UpdateDataset(ctx, d, p.UserName, s.now())
	})
	return view(out), err
}

// Delete removes a dataset that no training uses.
func (s *Service) Delete(ctx context.Context, id int64) error {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		d, err := q.DatasetByID(ctx, p.TenantID, id)
		if err != nil {
			return notFound(err, id)
		}
		if d.IsLocked {
			return apperr.Conflict("dataset %d is used by a training and cannot be deleted", id)
		}
		return q.DeleteDataset(ctx, p.TenantID, id)
	})
}

// layout lists a dataset's files with the path each gets under
// /kqi/input: <type>/<dataId>/<fileName>, or <dataId>/<fileName> when flat.
type placed struct {
	typ  string
	path string
	file store.DataFile
}

func (s *Service) layout(ctx context.Context, id int64) (store.Dataset, []placed, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return store.Dataset{}, nil, err
	}
	q := s.db.Q()
	d, err := q.DatasetByID(ctx, p.TenantID, id)
	if err != nil {
		return d, nil, notFound(err, id)
	}
	es, types, err := s.entries(ctx, q, id)
	if err != nil {
		return d, nil, err
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.DataID
	}
	files, err := q.DataFiles(ctx, p.TenantID, ids...)
	if err != nil {
		return d, nil, err
	}
	byData := map[int64][]store.DataFile{}
	for _, f := range files {
		byData[f.DataID] = append(byData[f.DataID], f)
	}
	var out []placed
	for _, e := range es {
		prefix := ""
		typ := ""
		if !d.IsFlat && e.DataTypeID.Valid {
			typ = typeName(types, e.DataTypeID.Int64)
			prefix = typ + "/"
		}
		for _, f := range byData[e.DataID] {
			out = append(out, placed{typ: typ, path: prefix + strconv.FormatInt(e.DataID, 10) + "/" + f.FileName, file: f})
		}
	}
	return d, out, nil
}

// PathPairs lists {dataPath, storedPath} for every file of the dataset.
func (s *Service) PathPairs(ctx context.Context, id int64) ([]PathPair, error) {
	_, ps, err := s.layout(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]PathPair, 0, len(ps))
	for _, p := range ps {
		out = append(out, PathPair{DataPath: p.path, StoredPath: p.file.StoredPath})
	}
	return out, nil
}

// Files lists every file of the dataset by type, with signed download URLs
// when withURL.
func (s *Service) Files(ctx context.Context, base string, id int64, withURL bool) (FilesView, error) {
	d, ps, err := s.layout(ctx, id)
	if err != nil {
		return FilesView{}, err
	}
	var urls map[int64]string
	if withURL {
		files := make([]store.DataFile, len(ps))
		for i, p := range ps {
			files[i] = p.file
		}
		if urls, err = s.data.URLs(ctx, base, files); err != nil {
			return FilesView{}, err
		}
	}
	out := FilesView{View: view(d), Entries: []FilesEntry{}, FlatEntries: []data.FileView{}}
	idx := map[string]int{}
	for _, p := range ps {
		fv := data.FileView{ID: p.file.ID, FileID: p.file.ID, Key: p.path, URL: urls[p.file.ID],
			FileName: p.file.FileName, FileSize: p.file.Size, SHA256: p.file.SHA256}
		if p.typ == "" {
			out.FlatEntries = append(out.FlatEntries, fv)
			continue
		}
		i, ok := idx[p.typ]
		if !ok {
			i = len(out.Entries)
			idx[p.typ] = i
			out.Entries = append(out.Entries, FilesEntry{Type: p.typ, Files: []data.FileView{}})
		}
		out.Entries[i].Files = append(out.Entries[i].Files, fv)
	}
	return out, nil
}

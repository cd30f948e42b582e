package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/google/uuid"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// FileView is one file of a data.
type FileView struct {
	ID       int64  `json:"id"`
	FileID   int64  `json:"fileId"`
	Key      string `json:"key"`
	URL      string `json:"url,omitempty"`
	FileName string `json:"fileName"`
	FileSize int64  `json:"fileSize"`
	SHA256   string `json:"sha256"`
}

// FilesView is the answer of registering files.
type FilesView struct {
	ID    int64      `json:"id"`
	Files []FileView `json:"files"`
}

// AddFile is one file to register: its name in the data and where the
// upload stored it (the storedPath of upload/parameter).
type AddFile struct {
	FileName   string `json:"fileName"`
	StoredPath string `json:"storedPath"`
}

// AddFilesInput is the body of POST /data/{id}/files.
type AddFilesInput struct {
	Files []AddFile `json:"files"`
}

func fileView(f store.DataFile) FileView {
	return FileView{ID: f.ID, FileID: f.ID, Key: f.FileName, FileName: f.FileName, FileSize: f.Size, SHA256: f.SHA256}
}

// StorageError turns a storage error into the API's error kinds.
func StorageError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return apperr.NotFound("the file is not found in storage").WithDetail("%v", err).Wrap(err)
	case errors.Is(err, storage.ErrInvalid):
		return apperr.Invalid("%v", err).Wrap(err)
	case errors.Is(err, storage.ErrExpired):
		return apperr.Forbidden("the signed URL has expired").WithDetail("ask for a new one").Wrap(err)
	case errors.Is(err, storage.ErrSignature):
		return apperr.Forbidden("the signed URL is not valid for this request").
			WithDetail("it was signed for another file, method or upload, or has been altered").Wrap(err)
	}
	return err
}

// CheckFileName checks the name of a file in a data: a relative path whose
// segments become directories under /kqi/input in jobs.
func CheckFileName(name string) error {
	if _, err := storage.CleanPath(name); err != nil {
		return apperr.Invalid("file name %q is not allowed", name).
			WithDetail("use a relative path without '..', '.', empty segments, a leading '/', backslashes or control characters")
	}
	return nil
}

// newStoredPath names a new object as the original did: <guid>.<ext>.
func newStoredPath(fileName string) string {
	ext := strings.TrimPrefix(path.Ext(fileName), ".")
	ok := ext != "" && len(ext) <= 16
	for _, r := range ext {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			ok = false
		}
	}
	if !ok {
		return uuid.NewString()
	}
	return uuid.NewString() + "." + ext
}

// nameSet checks new file names against each other and the data's existing
// ones: unique, and no name may also be a directory of another ("a" and
// "a/b" could not both exist under /kqi/input).
type nameSet struct {
	files map[string]bool
	dirs  map[string]bool
}

func newNameSet(existing []store.DataFile) *nameSet {
	ns := &nameSet{files: map[string]bool{}, dirs: map[string]bool{}}
	for _, f := range existing {
		ns.files[f.FileName] = true
		ns.addDirs(f.FileName)
	}
	return ns
}

func (ns *nameSet) addDirs(name string) {
	for i := strings.IndexByte(name, '/'); i >= 0; {
		ns.dirs[name[:i]] = true
		j := strings.IndexByte(name[i+1:], '/')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

func (ns *nameSet) add(dataID int64, name string) error {
	if err := CheckFileName(name); err != nil {
		return err
	}
	if ns.files[name] {
		if dataID == 0 {
			return apperr.Conflict("two files are named %q", name).WithDetail("file names are unique within a data")
		}
		return apperr.Conflict("data %d already has a file named %q", dataID, name).
			WithDetail("file names are unique within a data")
	}
	if ns.dirs[name] {
		return apperr.Conflict("%q is a directory of another file in data %d", name, dataID)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' && ns.files[name[:i]] {
			return apperr.Conflict("%q would be inside %q, which is a file in data %d", name, name[:i], dataID)
		}
	}
	ns.files[name] = true
	ns.addDirs(name)
	return nil
}

// Files lists a data's files, with signed download URLs when withURL.
func (s *Service) Files(ctx context.Context, base string, id int64, withURL bool) ([]FileView, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
		return nil, notFound(err, "data", id)
	}
	files, err := q.DataFiles(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	var urls map[int64]string
	if withURL {
		if urls, err = s.URLs(ctx, base, files); err != nil {
			return nil, err
		}
	}
	out := make([]FileView, 0, len(files))
	for _, f := range files {
		v := fileView(f)
		v.URL = urls[f.ID]
		out = append(out, v)
	}
	return out, nil
}

// URLs signs a download URL for each of the caller's tenant's files, by
// file id.
func (s *Service) URLs(ctx context.Context, base string, files []store.DataFile) (map[int64]string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(files))
	for _, f := range files {
		if out[f.ID], err = s.fileURL(ctx, st, base, p.TenantName, f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) fileURL(ctx context.Context, st storage.Store, base, tenant string, f store.DataFile) (string, error) {
	k, err := storage.NewKey(tenant, storage.Data, f.StoredPath)
	if err != nil {
		return "", err
	}
	u, err := st.GetURL(ctx, base, k, path.Base(f.FileName), s.urlTTL)
	return u, StorageError(err)
}

// File returns one file by name, with its signed download URL.
func (s *Service) File(ctx context.Context, base string, id int64, name string, withURL bool) (FileView, error) {
	p, err := caller(ctx)
	if err != nil {
		return FileView{}, err
	}
	q := s.db.Q()
	if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
		return FileView{}, notFound(err, "data", id)
	}
	f, err := q.DataFileByName(ctx, p.TenantID, id, name)
	if err != nil {
		return FileView{}, notFound(err, "file", name)
	}
	v := fileView(f)
	if withURL {
		st, err := s.tenantStore(ctx, p.TenantID)
		if err != nil {
			return FileView{}, err
		}
		if v.URL, err = s.fileURL(ctx, st, base, p.TenantName, f); err != nil {
			return FileView{}, err
		}
	}
	return v, nil
}

// fileByID returns one file of the caller's data by id.
func (s *Service) fileByID(ctx context.Context, p *auth.Principal, id, fileID int64) (store.DataFile, error) {
	q := s.db.Q()
	if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
		return store.DataFile{}, notFound(err, "data", id)
	}
	f, err := q.DataFileByID(ctx, p.TenantID, id, fileID)
	return f, notFound(err, "file", fileID)
}

// AddFiles registers uploaded objects as files of a data, all or none.
func (s *Service) AddFiles(ctx context.Context, id int64, in AddFilesInput) (FilesView, error) {
	p, err := caller(ctx)
	if err != nil {
		return FilesView{}, err
	}
	if len(in.Files) == 0 {
		return FilesView{}, apperr.Invalid("files is required").WithDetail("list at least one {fileName, storedPath}")
	}
	if len(in.Files) > MaxFiles {
		return FilesView{}, apperr.Invalid("%d files is more than the %d a data may hold", len(in.Files), MaxFiles)
	}
	keys := make([]string, len(in.Files))
	for i, f := range in.Files {
		if _, err := storage.CleanPath(f.StoredPath); err != nil || strings.Contains(f.StoredPath, "/") {
			return FilesView{}, apperr.Invalid("storedPath %q is not a stored path of an upload", f.StoredPath).
				WithDetail("use the storedPath that upload/parameter or upload/stream returned")
		}
		keys[i] = string(storage.Data) + "/" + f.StoredPath
	}
	q := s.db.Q()
	ups, err := q.Uploads(ctx, p.TenantID, keys)
	if err != nil {
		return FilesView{}, err
	}
	byKey := map[string]store.Upload{}
	for _, u := range ups {
		byKey[u.ObjectKey] = u
	}
	// An object that completed outside our protocol (written to S3 by other
	// means) has no upload record: measure it once here.
	files := make([]store.DataFile, len(in.Files))
	var claim []int64
	for i, f := range in.Files {
		u, ok := byKey[keys[i]]
		if !ok {
			if u, err = s.measure(ctx, p, f.StoredPath); err != nil {
				return FilesView{}, err
			}
		} else {
			claim = append(claim, u.ID)
		}
		files[i] = store.DataFile{TenantID: p.TenantID, DataID: id, FileName: f.FileName, StoredPath: f.StoredPath,
			Size: u.Size, SHA256: u.SHA256}
	}
	return s.register(ctx, p, id, files, claim)
}

// measure hashes an object that has no upload record.
func (s *Service) measure(ctx context.Context, p *auth.Principal, storedPath string) (store.Upload, error) {
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return store.Upload{}, err
	}
	k, err := storage.NewKey(p.TenantName, storage.Data, storedPath)
	if err != nil {
		return store.Upload{}, StorageError(err)
	}
	rc, _, err := st.Open(ctx, k, 0, -1)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return store.Upload{}, apperr.NotFound("no upload is stored at %q", storedPath).
				WithDetail("upload the file first (upload/parameter and upload/complete, or upload/stream)")
		}
		return store.Upload{}, StorageError(err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return store.Upload{}, err
	}
	return store.Upload{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// register adds files to a data in one transaction, checking the rules
// against the data's current files.
func (s *Service) register(ctx context.Context, p *auth.Principal, id int64, files []store.DataFile, claim []int64) (FilesView, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
			return notFound(err, "data", id)
		}
		if err := lockedBy(ctx, q, p.TenantID, id, "adding files"); err != nil {
			return err
		}
		existing, err := q.DataFiles(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if len(existing)+len(files) > MaxFiles {
			return apperr.Invalid("data %d would hold %d files, more than the %d allowed", id, len(existing)+len(files), MaxFiles).
				WithDetail("split the files over several data and group them in a dataset")
		}
		names := newNameSet(existing)
		for _, f := range files {
			if err := names.add(id, f.FileName); err != nil {
				return err
			}
		}
		if err := q.InsertDataFiles(ctx, files, p.UserName, s.now()); err != nil {
			if store.IsUnique(err) {
				return apperr.Conflict("a stored path is already registered to a file").
					WithDetail("each upload can be registered once; upload the file again for another data")
			}
			return err
		}
		if err := q.ClaimUploads(ctx, claim); err != nil {
			return err
		}
		return q.TouchData(ctx, p.TenantID, id, p.UserName, s.now())
	})
	if err != nil {
		return FilesView{}, err
	}
	all, err := s.db.Q().DataFiles(ctx, p.TenantID, id)
	if err != nil {
		return FilesView{}, err
	}
	added := map[string]bool{}
	for _, f := range files {
		added[f.FileName] = true
	}
	out := FilesView{ID: id, Files: make([]FileView, 0, len(files))}
	for _, f := range all {
		if added[f.FileName] {
			out.Files = append(out.Files, fileView(f))
		}
	}
	return out, nil
}

// DeleteFile removes one file, unless a locked dataset holds its data.
func (s *Service) DeleteFile(ctx context.Context, id, fileID int64) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	var f store.DataFile
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
			return notFound(err, "data", id)
		}
		if f, err = q.DataFileByID(ctx, p.TenantID, id, fileID); err != nil {
			return notFound(err, "file", fileID)
		}
		if err := lockedBy(ctx, q, p.TenantID, id, "deleting its files"); err != nil {
			return err
		}
		if err := q.DeleteDataFile(ctx, p.TenantID, fileID); err != nil {
			return err
		}
		return q.TouchData(ctx, p.TenantID, id, p.UserName, s.now())
	})
	if err != nil {
		return err
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err == nil {
		var k storage.Key
		if k, err = storage.NewKey(p.TenantName, storage.Data, f.StoredPath); err == nil {
			err = st.Delete(ctx, k)
		}
	}
	if err != nil {
		s.log.Warn("file deleted, its object was not", "data", id, "file", fileID, "error", err)
	}
	return nil
}

package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/data"
	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// FileView is an attached file of a job: one a user attached (FileID set,
// Key "user") or one the job wrote to /kqi/attach (Key "container").
type FileView struct {
	ID       int64  `json:"id"`
	FileID   int64  `json:"fileId"`
	Key      string `json:"key"`
	URL      string `json:"url,omitempty"`
	FileName string `json:"fileName"`
	FileSize int64  `json:"fileSize"`
	SHA256   string `json:"sha256,omitempty"`
}

// AttachInput is POST /training/{id}/files: an uploaded file to attach.
type AttachInput struct {
	FileName   string `json:"fileName"`
	StoredPath string `json:"storedPath"`
}

// DirView and StoredFile make up a listing of /kqi/output, as the original's
// StorageListResultInfo.
type DirView struct {
	DirName string `json:"dirName"`
	DirPath string `json:"dirPath"`
}

// StoredFile is one file of a job's output.
type StoredFile struct {
	Key          string    `json:"key"`
	FileName     string    `json:"fileName"`
	LastModified time.Time `json:"lastModified"`
	Size         int64     `json:"size"`
	URL          string    `json:"url,omitempty"`
}

// Listing is one directory of a job's output.
type Listing struct {
	Dirs     []DirView    `json:"dirs"`
	Files    []StoredFile `json:"files"`
	Exceeded bool         `json:"exceeded"`
}

// maxListing bounds a listing, as the original's 10,000 entries.
const maxListing = 10000

func (s *Service) tenantStore(ctx context.Context, tenant string) (storage.Store, error) {
	st, err := s.stores.ForTenant(ctx, tenant)
	if err != nil {
		return nil, apperr.Unavailable("the tenant's storage is not available").WithDetail("%v", err).Wrap(err)
	}
	return st, nil
}

// ContainerFiles lists a directory of the job's output (/kqi/output),
// while it runs too, with signed download URLs when withURL.
func (s *Service) ContainerFiles(ctx context.Context, kind Kind, id int64, base, dir string, withURL bool) (Listing, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return Listing{}, err
	}
	dir = strings.Trim(dir, "/")
	if dir != "" {
		if _, err := storage.CleanPath(dir); err != nil {
			return Listing{}, apperr.Invalid("path %q is not a directory of the output", dir).WithDetail("%v", err)
		}
	}
	st, err := s.tenantStore(ctx, p.TenantName)
	if err != nil {
		return Listing{}, err
	}
	area, _ := areas(kind)
	prefix := strconv.FormatInt(j.ID, 10)
	full := path.Join(prefix, dir)
	dirs, files, err := st.List(ctx, p.TenantName, area, full)
	if errors.Is(err, storage.ErrNotFound) {
		dirs, files, err = nil, nil, nil
	}
	if err != nil {
		return Listing{}, data.StorageError(err)
	}
	out := Listing{Dirs: []DirView{}, Files: []StoredFile{}}
	for _, d := range dirs {
		if len(out.Dirs) >= maxListing {
			out.Exceeded = true
			break
		}
		out.Dirs = append(out.Dirs, DirView{DirName: d, DirPath: path.Join(dir, d) + "/"})
	}
	for _, f := range files {
		if len(out.Dirs)+len(out.Files) >= maxListing {
			out.Exceeded = true
			break
		}
		rel := strings.TrimPrefix(f.Key.Path, prefix+"/")
		sf := StoredFile{Key: rel, FileName: path.Base(rel), LastModified: f.ModTime, Size: f.Size}
		if withURL {
			if sf.URL, err = st.GetURL(ctx, base, f.Key, sf.FileName, s.urlTTL); err != nil {
				return Listing{}, data.StorageError(err)
			}
		}
		out.Files = append(out.Files, sf)
	}
	return out, nil
}

// Files lists what is attached to a job: the users' files, then the job's
// own (its log, the output zip).
func (s *Service) Files(ctx context.Context, kind Kind, id int64, base string, withURL bool) ([]FileView, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	st, err := s.tenantStore(ctx, p.TenantName)
	if err != nil {
		return nil, err
	}
	fs, err := s.db.Q().JobFiles(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	out := []FileView{}
	for _, f := range fs {
		v := FileView{ID: j.ID, FileID: f.ID, Key: "user", FileName: f.FileName, FileSize: f.Size, SHA256: f.SHA256}
		if withURL {
			k := storage.Key{Tenant: p.TenantName, Type: userArea(kind), Path: f.StoredPath}
			if v.URL, err = st.GetURL(ctx, base, k, f.FileName, s.urlTTL); err != nil {
				return nil, data.StorageError(err)
			}
		}
		out = append(out, v)
	}
	_, attach := areas(kind)
	_, objs, err := st.List(ctx, p.TenantName, attach, strconv.FormatInt(j.ID, 10))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, data.StorageError(err)
	}
	for _, o := range objs {
		v := FileView{ID: j.ID, Key: "container", FileName: path.Base(o.Key.Path), FileSize: o.Size}
		if withURL {
			if v.URL, err = st.GetURL(ctx, base, o.Key, v.FileName, s.urlTTL); err != nil {
				return nil, data.StorageError(err)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Attach attaches an uploaded file (POST /upload/... with type
// TrainingHistoryAttachedFiles) to a job; a name already attached is 409.
func (s *Service) Attach(ctx context.Context, kind Kind, id int64, in AttachInput) (FileView, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return FileView{}, err
	}
	if err := data.CheckFileName(in.FileName); err != nil {
		return FileView{}, err
	}
	objKey := string(userArea(kind)) + "/" + in.StoredPath
	var f store.JobFile
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		ups, err := q.Uploads(ctx, p.TenantID, []string{objKey})
		if err != nil {
			return err
		}
		if len(ups) == 0 {
			return apperr.NotFound("no completed upload at %s", in.StoredPath).
				WithDetail("upload the file with type %s first", userArea(kind))
		}
		f = store.JobFile{TenantID: p.TenantID, JobID: j.ID, FileName: in.FileName, StoredPath: in.StoredPath,
			Size: ups[0].Size, SHA256: ups[0].SHA256}
		if f.ID, err = q.InsertJobFile(ctx, f, p.UserName, s.now()); err != nil {
			if store.IsUnique(err) {
				return apperr.Conflict("%s %d already has a file named %s", kind, id, in.FileName)
			}
			return err
		}
		return q.ClaimUploads(ctx, []int64{ups[0].ID})
	})
	if err != nil {
		return FileView{}, err
	}
	return FileView{ID: j.ID, FileID: f.ID, Key: "user", FileName: f.FileName, FileSize: f.Size, SHA256: f.SHA256}, nil
}

// DeleteFile removes a file a user attached.
func (s *Service) DeleteFile(ctx context.Context, kind Kind, id, fileID int64) error {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return err
	}
	fs, err := s.db.Q().JobFiles(ctx, j.ID)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.ID != fileID {
			continue
		}
		if err := s.db.Q().DeleteJobFile(ctx, j.ID, f.ID); err != nil {
			return err
		}
		s.removeFiles(ctx, p.TenantName, kind, -1, []store.JobFile{f})
		return nil
	}
	return apperr.NotFound("file %d of %s %d is not found", fileID, kind, id)
}

// FileSize is GET .../files/{name}/size: the size of an attached file.
func (s *Service) FileSize(ctx context.Context, kind Kind, id int64, name string) (int64, error) {
	files, err := s.Files(ctx, kind, id, "", false)
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		if f.FileName == name {
			return f.FileSize, nil
		}
	}
	return 0, apperr.NotFound("%s %d has no attached file %s", kind, id, name)
}

// removeFiles deletes stored files of a job: the users' attachments, and
// when id >= 0 the job's output and attach areas.
func (s *Service) removeFiles(ctx context.Context, tenant string, kind Kind, id int64, files []store.JobFile) {
	st, err := s.stores.ForTenant(ctx, tenant)
	if err != nil {
		s.log.Warn("files of a deleted job left in storage", "tenant", tenant, "error", err)
		return
	}
	for _, f := range files {
		k := storage.Key{Tenant: tenant, Type: userArea(kind), Path: f.StoredPath}
		if err := st.Delete(ctx, k); err != nil {
			s.log.Warn("attached file left in storage", "key", k.String(), "error", err)
		}
	}
	if id < 0 {
		return
	}
	out, attach := areas(kind)
	for _, a := range []storage.ResourceType{out, attach} {
		// Outputs of ended jobs are read-only on a directory store (so that
		// jobs mounting them cannot change them); make them removable.
		if lp, ok := st.(localPather); ok {
			if dir, err := lp.LocalPath(storage.Key{Tenant: tenant, Type: a, Path: strconv.FormatInt(id, 10)}); err == nil {
				if err := jobcontract.MakeWritable(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
					s.log.Warn("job files stay read-only", "dir", dir, "error", err)
				}
			}
		}
		if err := st.DeletePrefix(ctx, tenant, a, strconv.FormatInt(id, 10)); err != nil {
			s.log.Warn("job files left in storage", "area", a, "job", id, "error", err)
		}
	}
}

// Logs reads a job's combined stdout and stderr: from the runner while it
// knows the job (following it when follow), else from the attached log.
func (s *Service) Logs(ctx context.Context, kind Kind, id int64, follow bool) (io.ReadCloser, error) {
	p, j, err := s.load(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	key := Key(kind, j.ID)
	rc, err := s.runner.Logs(ctx, key, follow && active(j.Status))
	if err == nil {
		return rc, nil
	}
	if !errors.Is(err, runner.ErrNotFound) {
		return nil, apperr.Unavailable("the runner cannot read the log").WithDetail("%v", err)
	}
	st, err := s.tenantStore(ctx, p.TenantName)
	if err != nil {
		return nil, err
	}
	_, attach := areas(kind)
	k := storage.Key{Tenant: p.TenantName, Type: attach, Path: fmt.Sprintf("%d/%s_stdout_stderr_%d.log", j.ID, kind, j.ID)}
	rc, _, err = st.Open(ctx, k, 0, -1)
	if errors.Is(err, storage.ErrNotFound) {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return rc, err
}

// Events lists what happened to a job, as the runner recorded it.
func (s *Service) Events(ctx context.Context, kind Kind, id int64) ([]runner.Event, error) {
	_, j, err := s.load(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.runner.Events(ctx, Key(kind, j.ID))
	if errors.Is(err, runner.ErrNotFound) {
		return []runner.Event{}, nil
	}
	if evs == nil {
		evs = []runner.Event{}
	}
	return evs, err
}

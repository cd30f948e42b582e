package data

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// An archive upload takes many files in one request: a tar stream (plain
// or gzip-compressed) whose regular files become files of a data, named by
// their paths in the archive. The files are written as one storage batch
// and registered in one transaction, so an interrupted or refused archive
// leaves nothing behind.

// AddArchive adds the files of a tar stream to a data.
func (s *Service) AddArchive(ctx context.Context, id int64, body io.Reader) (FilesView, error) {
	p, err := caller(ctx)
	if err != nil {
		return FilesView{}, err
	}
	q := s.db.Q()
	if _, err := q.DataByID(ctx, p.TenantID, id); err != nil {
		return FilesView{}, notFound(err, "data", id)
	}
	if err := lockedBy(ctx, q, p.TenantID, id, "adding files"); err != nil {
		return FilesView{}, err
	}
	existing, err := q.DataFiles(ctx, p.TenantID, id)
	if err != nil {
		return FilesView{}, err
	}
	files, undo, err := s.storeArchive(ctx, p, id, existing, body)
	if err != nil {
		return FilesView{}, err
	}
	out, err := s.register(ctx, p, id, files, nil)
	if err != nil {
		undo()
	}
	return out, err
}

// CreateFromArchive creates a data and its files from a tar stream in one
// step: the data exists only if every file was stored.
func (s *Service) CreateFromArchive(ctx context.Context, in Input, body io.Reader) (FilesView, error) {
	p, err := caller(ctx)
	if err != nil {
		return FilesView{}, err
	}
	if _, err := checkName(in.Name); err != nil {
		return FilesView{}, err
	}
	for _, t := range in.Tags {
		if err := CheckTag(t); err != nil {
			return FilesView{}, err
		}
	}
	files, undo, err := s.storeArchive(ctx, p, 0, nil, body)
	if err != nil {
		return FilesView{}, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if id, err = s.create(ctx, q, p, in); err != nil {
			return err
		}
		for i := range files {
			files[i].DataID = id
		}
		return q.InsertDataFiles(ctx, files, p.UserName, s.now())
	})
	if err != nil {
		undo()
		return FilesView{}, err
	}
	all, err := s.db.Q().DataFiles(ctx, p.TenantID, id)
	if err != nil {
		return FilesView{}, err
	}
	out := FilesView{ID: id, Files: make([]FileView, 0, len(all))}
	for _, f := range all {
		out.Files = append(out.Files, fileView(f))
	}
	return out, nil
}

// storeArchive writes the archive's files as one batch and returns their
// rows (without ids) and a function that removes them again.
func (s *Service) storeArchive(ctx context.Context, p *auth.Principal, dataID int64, existing []store.DataFile,
	body io.Reader) ([]store.DataFile, func(), error) {
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(body, 256<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, apperr.Invalid("the body is not a valid gzip stream").Wrap(err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	names := newNameSet(existing)
	batch := st.Batch()
	var files []store.DataFile
	var keys []storage.Key
	fail := func(err error) ([]store.DataFile, func(), error) {
		if aerr := batch.Abort(context.WithoutCancel(ctx)); aerr != nil {
			s.log.Warn("abort archive upload", "error", aerr)
		}
		return nil, nil, err
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(archiveError(err))
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return fail(apperr.Invalid("archive entry %q is not a regular file or directory", hdr.Name).
				WithDetail("links and devices cannot be data files; archive what they point to instead"))
		}
		if err := names.add(dataID, name); err != nil {
			return fail(err)
		}
		if hdr.Size == 0 {
			return fail(apperr.Invalid("file %q in the archive is empty", name).WithDetail("empty files cannot be stored"))
		}
		if len(existing)+len(files) >= MaxFiles {
			return fail(apperr.Invalid("the archive has more files than the %d a data may hold", MaxFiles-len(existing)).
				WithDetail("split the files over several data and group them in a dataset"))
		}
		stored := newStoredPath(name)
		k, err := storage.NewKey(p.TenantName, storage.Data, stored)
		if err != nil {
			return fail(StorageError(err))
		}
		obj, err := batch.Put(ctx, k, tr)
		if err != nil {
			return fail(archiveError(err))
		}
		files = append(files, store.DataFile{TenantID: p.TenantID, DataID: dataID, FileName: name,
			StoredPath: stored, Size: obj.Size, SHA256: obj.SHA256})
		keys = append(keys, k)
	}
	if len(files) == 0 {
		return fail(apperr.Invalid("the archive holds no files").WithDetail("send a tar stream of regular files"))
	}
	if err := batch.Commit(ctx); err != nil {
		return fail(StorageError(err))
	}
	undo := func() {
		for _, k := range keys {
			if err := st.Delete(context.WithoutCancel(ctx), k); err != nil {
				s.log.Warn("remove file of a refused archive", "key", k.String(), "error", err)
			}
		}
	}
	return files, undo, nil
}

func archiveError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong):
		return apperr.Invalid("the body is not a valid tar archive").WithDetail("%v", err).Wrap(err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("the archive ends early").
			WithDetail("the upload was interrupted or the archive is truncated; nothing was stored").Wrap(err)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return apperr.Invalid("the gzip stream is corrupt").Wrap(err)
	}
	return uploadReadError(err)
}

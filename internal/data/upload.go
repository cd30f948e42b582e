package data

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// MaxParts is S3's limit of parts in one multipart upload.
const MaxParts = 10000

// MultipartUpload is the answer of GET /upload/parameter: one signed URL
// per part, in part order.
type MultipartUpload struct {
	URIs       []string `json:"uris"`
	PartsSum   int      `json:"partsSum"`
	UploadID   string   `json:"uploadId"`
	Key        string   `json:"key"` // <ResourceType>/<storedPath>
	FileName   string   `json:"fileName"`
	StoredPath string   `json:"storedPath"`
}

// CompleteInput is the body of POST /upload/complete; partETags are
// "<part number>+<etag>".
type CompleteInput struct {
	PartETags []string `json:"partETags"`
	UploadID  string   `json:"uploadId"`
	Key       string   `json:"key"`
}

// CompleteOutput echoes the input, plus what was stored.
type CompleteOutput struct {
	CompleteInput
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Uploaded is a file stored by a streamed upload, ready to be registered.
type Uploaded struct {
	Key        string `json:"key"`
	StoredPath string `json:"storedPath"`
	FileName   string `json:"fileName"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

func uploadType(raw string) (storage.ResourceType, error) {
	t, err := storage.ParseResourceType(raw)
	if err != nil {
		return "", apperr.Invalid("Unexpected resource type %q", raw).
			WithDetail("use Data, TrainingHistoryAttachedFiles or InferenceHistoryAttachedFiles")
	}
	if !t.Uploadable() {
		return "", apperr.Invalid("files of type %s are written by jobs, not uploaded", t)
	}
	return t, nil
}

func checkUploadName(name string) error {
	if strings.TrimSpace(name) == "" {
		return apperr.Invalid("fileName is required")
	}
	if strings.ContainsAny(name, "\x00") || len(name) > storage.MaxPathBytes {
		return apperr.Invalid("fileName %q is not allowed", name)
	}
	return nil
}

// StartUpload begins a multipart upload of partSum parts.
func (s *Service) StartUpload(ctx context.Context, base, fileName string, partSum int, typ string) (MultipartUpload, error) {
	p, err := caller(ctx)
	if err != nil {
		return MultipartUpload{}, err
	}
	if err := checkUploadName(fileName); err != nil {
		return MultipartUpload{}, err
	}
	if partSum <= 0 {
		return MultipartUpload{}, apperr.Invalid("The uploading file can not be parted. The file may be empty (0 byte).").
			WithDetail("partSum must be at least 1")
	}
	if partSum > MaxParts {
		return MultipartUpload{}, apperr.Invalid("partSum %d is more than %d parts", partSum, MaxParts).
			WithDetail("use larger parts")
	}
	t, err := uploadType(typ)
	if err != nil {
		return MultipartUpload{}, err
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return MultipartUpload{}, err
	}
	stored := newStoredPath(fileName)
	k, err := storage.NewKey(p.TenantName, t, stored)
	if err != nil {
		return MultipartUpload{}, StorageError(err)
	}
	id, err := st.CreateMultipart(ctx, k)
	if err != nil {
		return MultipartUpload{}, StorageError(err)
	}
	out := MultipartUpload{URIs: make([]string, 0, partSum), PartsSum: partSum, UploadID: id,
		Key: string(t) + "/" + stored, FileName: fileName, StoredPath: stored}
	for n := 1; n <= partSum; n++ {
		u, err := st.PartURL(ctx, base, k, id, n, s.urlTTL)
		if err != nil {
			return MultipartUpload{}, StorageError(err)
		}
		out.URIs = append(out.URIs, u)
	}
	return out, nil
}

// parseKey splits the key of upload/parameter into type and stored path.
func parseKey(tenant, key string) (storage.Key, error) {
	typ, stored, ok := strings.Cut(key, "/")
	t, err := uploadType(typ)
	if err != nil {
		return storage.Key{}, err
	}
	k, err := storage.NewKey(tenant, t, stored)
	if !ok || err != nil {
		return storage.Key{}, apperr.Invalid("key %q is not the key of an upload", key).
			WithDetail("send the key that upload/parameter returned")
	}
	return k, nil
}

// parseParts reads "<n>+<etag>" entries.
func parseParts(raw []string) ([]storage.Part, error) {
	if len(raw) == 0 {
		return nil, apperr.Invalid("partETags is required").WithDetail("send one \"<part number>+<etag>\" per uploaded part")
	}
	parts := make([]storage.Part, 0, len(raw))
	for _, e := range raw {
		num, etag, ok := strings.Cut(e, "+")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if !ok || err != nil || n < 1 || strings.Trim(etag, `" `) == "" {
			return nil, apperr.Invalid("part ETag %q is not \"<part number>+<etag>\"", e)
		}
		parts = append(parts, storage.Part{Number: n, ETag: strings.Trim(etag, `" `)})
	}
	return parts, nil
}

// CompleteUpload joins the parts and records the stored file's size and
// SHA-256 until it is registered.
func (s *Service) CompleteUpload(ctx context.Context, in CompleteInput) (CompleteOutput, error) {
	p, err := caller(ctx)
	if err != nil {
		return CompleteOutput{}, err
	}
	if in.UploadID == "" {
		return CompleteOutput{}, apperr.Invalid("uploadId is required")
	}
	k, err := parseKey(p.TenantName, in.Key)
	if err != nil {
		return CompleteOutput{}, err
	}
	parts, err := parseParts(in.PartETags)
	if err != nil {
		return CompleteOutput{}, err
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return CompleteOutput{}, err
	}
	obj, err := st.CompleteMultipart(ctx, k, in.UploadID, parts)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return CompleteOutput{}, apperr.NotFound("upload %q of %s is not found", in.UploadID, in.Key).
				WithDetail("it was completed or aborted already, or has expired; upload the file again").Wrap(err)
		}
		return CompleteOutput{}, StorageError(err)
	}
	if err := s.db.Q().InsertUpload(ctx, store.Upload{TenantID: p.TenantID, ObjectKey: in.Key, Size: obj.Size,
		SHA256: obj.SHA256, CreatedAt: s.now()}); err != nil {
		return CompleteOutput{}, err
	}
	return CompleteOutput{CompleteInput: in, Size: obj.Size, SHA256: obj.SHA256}, nil
}

// StreamUpload stores a request body as one file of type typ, ready to be
// registered like a completed multipart upload. Empty bodies are refused,
// as the original refused empty files.
func (s *Service) StreamUpload(ctx context.Context, fileName, typ string, body io.Reader) (Uploaded, error) {
	p, err := caller(ctx)
	if err != nil {
		return Uploaded{}, err
	}
	if err := checkUploadName(fileName); err != nil {
		return Uploaded{}, err
	}
	t, err := uploadType(typ)
	if err != nil {
		return Uploaded{}, err
	}
	br := bufio.NewReaderSize(body, 64<<10)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return Uploaded{}, apperr.Invalid("file %q is empty", fileName).WithDetail("empty files cannot be stored")
		}
		return Uploaded{}, uploadReadError(err)
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return Uploaded{}, err
	}
	stored := newStoredPath(fileName)
	k, err := storage.NewKey(p.TenantName, t, stored)
	if err != nil {
		return Uploaded{}, StorageError(err)
	}
	obj, err := st.Put(ctx, k, br)
	if err != nil {
		return Uploaded{}, uploadReadError(err)
	}
	key := string(t) + "/" + stored
	if err := s.db.Q().InsertUpload(ctx, store.Upload{TenantID: p.TenantID, ObjectKey: key, Size: obj.Size,
		SHA256: obj.SHA256, CreatedAt: s.now()}); err != nil {
		_ = st.Delete(context.WithoutCancel(ctx), k)
		return Uploaded{}, err
	}
	return Uploaded{Key: key, StoredPath: stored, FileName: fileName, Size: obj.Size, SHA256: obj.SHA256}, nil
}

// uploadReadError reports a body over the size limit as 413 and other
// read failures (a client that went away) as they are.
func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return StorageError(err)
}

// DownloadURL signs a download of any file of the caller's tenant that
// exists, saved as fileName.
func (s *Service) DownloadURL(ctx context.Context, base, typ, storedPath, fileName string) (string, error) {
	p, err := caller(ctx)
	if err != nil {
		return "", err
	}
	t, err := storage.ParseResourceType(typ)
	if err != nil {
		return "", apperr.Invalid("Unexpected resource type %q", typ)
	}
	k, err := storage.NewKey(p.TenantName, t, storedPath)
	if err != nil {
		return "", apperr.Invalid("storedPath %q is not allowed", storedPath).Wrap(err)
	}
	if fileName == "" {
		fileName = path.Base(storedPath)
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return "", err
	}
	if _, err := st.Stat(ctx, k); err != nil {
		return "", StorageError(err)
	}
	u, err := st.GetURL(ctx, base, k, fileName, s.urlTTL)
	return u, StorageError(err)
}

// Cleanup removes uploads completed but never registered and multipart
// uploads never completed, once older than the URL lifetime (with an hour
// of grace for a slow last part). It returns how many it removed.
func (s *Service) Cleanup(ctx context.Context, storages []storage.Store) (int, error) {
	cutoff := s.now().Add(-s.urlTTL - time.Hour)
	removed := 0
	for {
		stale, err := s.db.Q().StaleUploads(ctx, cutoff, 500)
		if err != nil || len(stale) == 0 {
			break
		}
		for _, u := range stale {
			if err := s.removeUpload(ctx, u); err != nil {
				return removed, err
			}
			removed++
		}
	}
	for _, st := range storages {
		n, err := st.CleanupMultipart(ctx, cutoff)
		removed += n
		if err != nil {
			return removed, fmt.Errorf("clean multipart uploads: %w", err)
		}
	}
	return removed, nil
}

func (s *Service) removeUpload(ctx context.Context, u store.StaleUpload) error {
	st, err := s.stores.ForStorage(ctx, u.StorageID)
	if err != nil {
		return err
	}
	typ, stored, _ := strings.Cut(u.ObjectKey, "/")
	t, err := storage.ParseResourceType(typ)
	if err == nil {
		var k storage.Key
		if k, err = storage.NewKey(u.TenantName, t, stored); err == nil {
			err = st.Delete(ctx, k)
		}
	}
	if err != nil {
		return fmt.Errorf("remove unregistered upload %s of %s: %w", u.ObjectKey, u.TenantName, err)
	}
	s.log.Info("removed an upload nobody registered", "tenant", u.TenantName, "key", u.ObjectKey, "size", u.Size)
	return s.db.Q().DeleteUpload(ctx, u.ID)
}

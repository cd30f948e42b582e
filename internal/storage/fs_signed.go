package storage

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// signedPrefix is where the API server mounts ServeSigned.
const signedPrefix = "/signed/"

// signature is HMAC-SHA256 over the request a URL allows. Fields that do
// not apply are empty; none but the last (the file name) can hold a
// newline, so the joined text is unambiguous.
func (s *FS) signature(method string, k Key, expires int64, uploadID, part, fileName string) []byte {
	m := hmac.New(sha256.New, s.signKey)
	io.WriteString(m, strings.Join([]string{method, k.String(), strconv.FormatInt(expires, 10), uploadID, part, fileName}, "\n"))
	return m.Sum(nil)
}

// signedURL is base/signed/<key>?<params>&expires=..&sig=.., its path
// segments escaped.
func (s *FS) signedURL(base, method string, k Key, ttl time.Duration, uploadID, part, fileName string) string {
	expires := s.now().Add(ttl).Unix()
	segs := strings.Split(k.String(), "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	var q strings.Builder
	if uploadID != "" {
		q.WriteString("uploadId=" + url.QueryEscape(uploadID) + "&partNumber=" + part + "&")
	}
	q.WriteString("expires=" + strconv.FormatInt(expires, 10))
	if method == http.MethodGet {
		q.WriteString("&filename=" + url.QueryEscape(fileName))
	}
	q.WriteString("&sig=" + hex.EncodeToString(s.signature(method, k, expires, uploadID, part, fileName)))
	return strings.TrimSuffix(base, "/") + signedPrefix + strings.Join(segs, "/") + "?" + q.String()
}

// PartURL is the URL ServeSigned accepts part n of an upload at:
// {base}/signed/{tenant}/{type}/{path}?uploadId=..&partNumber=n&expires=..&sig=..
func (s *FS) PartURL(ctx context.Context, base string, k Key, uploadID string, n int, ttl time.Duration) (string, error) {
	k, _, err := fsKey(k)
	if err != nil {
		return "", err
	}
	if err := checkPartNumber(n); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	if !validUploadID(uploadID) {
		return "", fmt.Errorf("%w: upload %q", ErrNotFound, uploadID)
	}
	return s.signedURL(base, http.MethodPut, k, ttl, uploadID, strconv.Itoa(n), ""), nil
}

// GetURL is the URL ServeSigned serves k at, as an attachment named
// fileName ("" = the object's own name):
// {base}/signed/{tenant}/{type}/{path}?expires=..&filename=..&sig=..
func (s *FS) GetURL(ctx context.Context, base string, k Key, fileName string, ttl time.Duration) (string, error) {
	k, _, err := fsKey(k)
	if err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	name, err := downloadName(k, fileName)
	if err != nil {
		return "", err
	}
	return s.signedURL(base, http.MethodGet, k, ttl, "", "", name), nil
}

// ServeSigned answers the URLs of PartURL and GetURL: the handler the API
// server mounts at /signed/. r.URL.Path must still hold the /signed/
// prefix. PUT stores a part and answers 200 with its ETag; GET and HEAD
// serve the file, with Range support. Errors wrap ErrSignature or
// ErrExpired (403), ErrNotFound (404) or ErrInvalid (400); nothing is
// written for them, the caller answers.
func (s *FS) ServeSigned(w http.ResponseWriter, r *http.Request) error {
	k, err := signedKey(r.URL.Path)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPut:
		return s.servePart(w, r, k, q)
	case http.MethodGet, http.MethodHead:
		return s.serveFile(w, r, k, q)
	default:
		return fmt.Errorf("%w: method %s on a signed storage URL", ErrInvalid, r.Method)
	}
}

// signedKey parses /signed/<tenant>/<type>/<path>.
func signedKey(p string) (Key, error) {
	rest, ok := strings.CutPrefix(p, signedPrefix)
	if !ok {
		return Key{}, fmt.Errorf("%w: %q is not under %s", ErrInvalid, p, signedPrefix)
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 {
		return Key{}, fmt.Errorf("%w: %q names no object", ErrInvalid, p)
	}
	k, _, err := fsKey(Key{Tenant: parts[0], Type: ResourceType(parts[1]), Path: parts[2]})
	return k, err
}

// verify checks a signed URL's signature, then its time.
func (s *FS) verify(q url.Values, method string, k Key, uploadID, part, fileName string) error {
	expires, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no valid expiry", ErrSignature)
	}
	sig, err := hex.DecodeString(q.Get("sig"))
	if err != nil || !hmac.Equal(sig, s.signature(method, k, expires, uploadID, part, fileName)) {
		return fmt.Errorf("%w: for %s %s", ErrSignature, method, k)
	}
	if s.now().Unix() > expires {
		return fmt.Errorf("%w: URL for %s %s expired at %s", ErrExpired, method, k, time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// servePart stores the body as part n of the upload, replacing an earlier
// one, and answers its MD5 as ETag, as S3 does.
func (s *FS) servePart(w http.ResponseWriter, r *http.Request, k Key, q url.Values) error {
	uploadID := q.Get("uploadId")
	if uploadID == "" {
		return fmt.Errorf("%w: PUT without uploadId", ErrInvalid)
	}
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil {
		return fmt.Errorf("%w: bad partNumber %q", ErrInvalid, q.Get("partNumber"))
	}
	if err := s.verify(q, http.MethodPut, k, uploadID, strconv.Itoa(n), ""); err != nil {
		return err
	}
	if err := checkPartNumber(n); err != nil {
		return err
	}
	dir, err := s.uploadDir(k, uploadID)
	if err != nil {
		return err
	}
	etag, err := s.writePart(r.Context(), dir, n, r.Body)
	if err != nil {
		return fmt.Errorf("storage: part %d of %s: %w", n, k, err)
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	w.WriteHeader(http.StatusOK)
	return nil
}

// writePart stores part n under dir/parts: the data as <n>, then its ETag
// and size as <n>.etag, each renamed into place so that a part PUT again
// replaces the old one whole.
func (s *FS) writePart(ctx context.Context, dir string, n int, body io.Reader) (string, error) {
	parts := dir + "/parts"
	dirs := s.dirCache()
	defer dirs.close()
	// Not created here: an upload aborted meanwhile stays gone.
	if _, err := dirs.get(parts, false); err != nil {
		return "", notFound(err, "upload")
	}
	h := md5.New()
	tmp, size, err := s.writeTemp(ctx, dirs, parts, io.LimitReader(body, MaxPartSize+1), h, true)
	if err != nil {
		return "", err
	}
	if size > MaxPartSize {
		dirs.remove(parts, tmp)
		return "", fmt.Errorf("%w: part larger than %d bytes", ErrInvalid, int64(MaxPartSize))
	}
	etag := hex.EncodeToString(h.Sum(nil))
	name := strconv.Itoa(n)
	if err := dirs.rename(parts, tmp, name); err != nil {
		return "", err
	}
	record := strings.NewReader(etag + " " + strconv.FormatInt(size, 10))
	if tmp, _, err = s.writeTemp(ctx, dirs, parts, record, md5.New(), true); err != nil {
		return "", err
	}
	if err := dirs.rename(parts, tmp, name+".etag"); err != nil {
		return "", err
	}
	return etag, dirs.sync(parts)
}

// serveFile serves a GetURL download.
func (s *FS) serveFile(w http.ResponseWriter, r *http.Request, k Key, q url.Values) error {
	if q.Has("uploadId") || q.Has("partNumber") {
		return fmt.Errorf("%w: %s of an upload URL", ErrInvalid, r.Method)
	}
	name := q.Get("filename")
	if err := s.verify(q, http.MethodGet, k, "", "", name); err != nil {
		return err
	}
	f, st, err := s.openFile(k.String())
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Type", contentType(name))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// Package storage keeps the platform's files: data files, attached files and
// job outputs, under the original's layout <tenant>/<ResourceType>/<path>
// (reference §1.3), on a directory (which may be an NFS mount shared with
// compute nodes) or on any S3-compatible store.
//
// Nothing half-written is ever visible: the directory backend writes to a
// temporary name and renames, S3 makes an object visible only when its
// upload completes. Every stored file's SHA-256 is computed while it is
// written.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ResourceType is the area of a tenant's storage a file belongs to.
type ResourceType string

// The areas of reference §1.3.
const (
	Data                            ResourceType = "Data"
	TrainingHistoryAttachedFiles    ResourceType = "TrainingHistoryAttachedFiles"
	InferenceHistoryAttachedFiles   ResourceType = "InferenceHistoryAttachedFiles"
	TrainingContainerOutputFiles    ResourceType = "TrainingContainerOutputFiles"
	TrainingContainerAttachedFiles  ResourceType = "TrainingContainerAttachedFiles"
	InferenceContainerOutputFiles   ResourceType = "InferenceContainerOutputFiles"
	InferenceContainerAttachedFiles ResourceType = "InferenceContainerAttachedFiles"
	PreprocContainerAttachedFiles   ResourceType = "PreprocContainerAttachedFiles"
	// PreprocContainerOutputFiles is new: the original kept a preprocessing's
	// output in the container until it became data.
	PreprocContainerOutputFiles    ResourceType = "PreprocContainerOutputFiles"
	NotebookContainerOutputFiles   ResourceType = "NotebookContainerOutputFiles"
	NotebookContainerAttachedFiles ResourceType = "NotebookContainerAttachedFiles"
)

// ResourceTypes lists every area.
var resourceTypes = []ResourceType{
	Data, TrainingHistoryAttachedFiles, InferenceHistoryAttachedFiles,
	TrainingContainerOutputFiles, TrainingContainerAttachedFiles,
	InferenceContainerOutputFiles, InferenceContainerAttachedFiles,
	PreprocContainerAttachedFiles, PreprocContainerOutputFiles, NotebookContainerOutputFiles, NotebookContainerAttachedFiles,
}

// Uploadable reports whether users may upload into the area themselves;
// the others are written by jobs.
func (t ResourceType) Uploadable() bool {
	return t == Data || t == TrainingHistoryAttachedFiles || t == InferenceHistoryAttachedFiles
}

// ParseResourceType accepts an area name in any letter case, as the
// original did.
func ParseResourceType(s string) (ResourceType, error) {
	for _, t := range resourceTypes {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: unknown resource type %q", ErrInvalid, s)
}

// Errors of the package; wrap them with %w.
var (
	ErrInvalid   = errors.New("invalid")   // a bad key, part list or signature input
	ErrNotFound  = errors.New("not found") // no such object or upload
	ErrExpired   = errors.New("expired")   // a signed URL past its time
	ErrSignature = errors.New("bad signature")
)

// MaxPathBytes bounds one stored path, MaxNameBytes each of its segments
// (the NAME_MAX of Linux file systems).
const (
	MaxPathBytes = 1024
	MaxNameBytes = 255
)

// CleanPath checks a relative path inside an area: '/'-separated segments,
// none empty, "." or "..", no leading '/', no backslash, NUL or other
// control character, valid UTF-8, at most MaxPathBytes with no segment over
// MaxNameBytes. It returns the path unchanged when it is acceptable; it
// never "fixes" a bad path, so that "a/../b" is refused rather than
// silently stored as "b".
func CleanPath(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("%w: empty path", ErrInvalid)
	case len(p) > MaxPathBytes:
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrInvalid, MaxPathBytes)
	case !utf8.ValidString(p):
		return "", fmt.Errorf("%w: path is not valid UTF-8", ErrInvalid)
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%w: path %q is absolute", ErrInvalid, p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "", fmt.Errorf("%w: path %q contains a backslash or control character", ErrInvalid, p)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: path %q has an empty, '.' or '..' segment", ErrInvalid, p)
		}
		if len(seg) > MaxNameBytes {
			return "", fmt.Errorf("%w: path %q has a name longer than %d bytes", ErrInvalid, p, MaxNameBytes)
		}
		if strings.HasPrefix(seg, tempPrefix) {
			return "", fmt.Errorf("%w: path %q uses the reserved prefix %s", ErrInvalid, p, tempPrefix)
		}
	}
	return p, nil
}

// tempPrefix starts the names of files being written; listings hide them.
const tempPrefix = ".kqi-tmp-"

// Key names one object: <tenant>/<type>/<path>.
type Key struct {
	Tenant string
	Type   ResourceType
	Path   string
}

// NewKey validates the parts of a key.
func NewKey(tenant string, t ResourceType, path string) (Key, error) {
	if tenant == "" || strings.ContainsAny(tenant, "/\\\x00") || tenant == "." || tenant == ".." {
		return Key{}, fmt.Errorf("%w: bad tenant name %q", ErrInvalid, tenant)
	}
	rt, err := ParseResourceType(string(t))
	if err != nil {
		return Key{}, err
	}
	if _, err := CleanPath(path); err != nil {
		return Key{}, err
	}
	// The canonical spelling of the type, so that "data" and "Data" name
	// the same object.
	return Key{Tenant: tenant, Type: rt, Path: path}, nil
}

// String is the logical key <tenant>/<type>/<path>.
func (k Key) String() string { return k.Tenant + "/" + string(k.Type) + "/" + k.Path }

// Object describes a stored file.
type Object struct {
	Key     Key
	Size    int64
	SHA256  string // hex; empty when the backend did not compute it (listings)
	ModTime time.Time
}

// Part is one uploaded part of a multipart upload, as the client reports it
// on completion ("<n>+<etag>" in the original's protocol).
type Part struct {
	Number int
	ETag   string
}

// Store is one storage backend.
type Store interface {
	// EnsureTenant creates what a tenant's files need (a directory, or a
	// bucket when buckets are per tenant). Safe to call again.
	EnsureTenant(ctx context.Context, tenant string) error

	// Put stores r under k, computing size and SHA-256. The object appears
	// only once complete; on error nothing is left.
	Put(ctx context.Context, k Key, r io.Reader) (Object, error)
	// Batch starts a group of puts that become visible together on Commit
	// (one disk sync for all of them on the directory backend).
	Batch() Batch
	// Open reads length bytes from offset (length < 0: to the end).
	Open(ctx context.Context, k Key, offset, length int64) (io.ReadCloser, Object, error)
	Stat(ctx context.Context, k Key) (Object, error)
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, k Key) error
	// DeletePrefix removes every object under tenant/type/prefix ("" = the
	// whole area).
	DeletePrefix(ctx context.Context, tenant string, t ResourceType, prefix string) error
	// List returns the entries directly under tenant/type/dir ("" = the
	// area's root): sub-directory names and files.
	List(ctx context.Context, tenant string, t ResourceType, dir string) (dirs []string, files []Object, err error)

	// CreateMultipart starts an upload of parts that clients PUT to signed
	// URLs (the original's protocol).
	CreateMultipart(ctx context.Context, k Key) (uploadID string, err error)
	// PartURL is the signed URL a client PUTs part n (from 1) to. base is
	// the server's own external URL (scheme://host[:port]), used by
	// backends that serve the URL themselves.
	PartURL(ctx context.Context, base string, k Key, uploadID string, n int, ttl time.Duration) (string, error)
	// CompleteMultipart joins the parts in order after checking their
	// ETags, and returns the object with its SHA-256.
	CompleteMultipart(ctx context.Context, k Key, uploadID string, parts []Part) (Object, error)
	AbortMultipart(ctx context.Context, k Key, uploadID string) error
	// CleanupMultipart aborts uploads started before cutoff; it returns how
	// many it removed.
	CleanupMultipart(ctx context.Context, cutoff time.Time) (int, error)

	// GetURL is a signed URL that downloads k, saved as fileName.
	GetURL(ctx context.Context, base string, k Key, fileName string, ttl time.Duration) (string, error)
}

// Batch is a group of puts that become visible together.
type Batch interface {
	// Put reads r to its end and stores it under k. On S3 the upload may
	// continue in the background; errors then come from Commit.
	Put(ctx context.Context, k Key, r io.Reader) (Object, error)
	// Commit makes every object visible, durably.
	Commit(ctx context.Context) error
	// Abort removes whatever the batch wrote. Safe after Commit (no-op).
	Abort(ctx context.Context) error
}

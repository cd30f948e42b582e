package storage

import (
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"time"
)

// Limits of the multipart protocol, the same as S3's so that both backends
// accept the same uploads.
const (
	MaxParts    = 10000
	MaxPartSize = 5 << 30
	// MaxURLTTL bounds a signed URL's lifetime: S3 refuses presigned URLs
	// valid for longer than a week.
	MaxURLTTL = 7 * 24 * time.Hour
)

// validKey checks k again at the backend's door (callers should have used
// NewKey, but a Key is a plain struct) and returns it with the type in its
// canonical spelling.
func validKey(k Key) (Key, error) {
	return NewKey(k.Tenant, k.Type, k.Path)
}

// validArea checks tenant/type/dir where dir may be "" (the area's root)
// and may end in '/'. It returns the canonical type and dir without the
// trailing slash.
func validArea(tenant string, t ResourceType, dir string) (ResourceType, string, error) {
	dir = strings.TrimSuffix(dir, "/")
	p := dir
	if p == "" {
		p = "x" // any valid path: only the tenant and type are checked
	}
	k, err := NewKey(tenant, t, p)
	if err != nil {
		return "", "", err
	}
	return k.Type, dir, nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxURLTTL {
		return fmt.Errorf("%w: URL lifetime %v outside (0, %v]", ErrInvalid, ttl, MaxURLTTL)
	}
	return nil
}

func checkPartNumber(n int) error {
	if n < 1 || n > MaxParts {
		return fmt.Errorf("%w: part number %d outside 1..%d", ErrInvalid, n, MaxParts)
	}
	return nil
}

// normalizeETag drops the quotes S3 puts around ETags (clients may or may
// not keep them) and the letter case of the hex digits.
func normalizeETag(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), `"`))
}

// checkParts compares the client's list of parts with the uploaded ones
// (part number to normalized ETag). Stricter than S3: the list must be
// exactly 1..N in order, every part uploaded and matching, and no part
// uploaded beyond the list, so that a client's mistake fails loudly rather
// than silently storing something else.
func checkParts(listed []Part, uploaded map[int]string) error {
	if len(listed) == 0 {
		return fmt.Errorf("%w: no parts listed", ErrInvalid)
	}
	for i, p := range listed {
		if p.Number != i+1 {
			return fmt.Errorf("%w: part %d is listed in position %d; parts must be numbered 1..N in order, without gaps or repeats",
				ErrInvalid, p.Number, i+1)
		}
		etag, ok := uploaded[p.Number]
		if !ok {
			return fmt.Errorf("%w: part %d was not uploaded", ErrInvalid, p.Number)
		}
		if normalizeETag(p.ETag) != etag {
			return fmt.Errorf("%w: part %d: ETag %q does not match the uploaded part's", ErrInvalid, p.Number, p.ETag)
		}
	}
	if len(uploaded) > len(listed) {
		var extra []int
		for n := range uploaded {
			if n > len(listed) {
				extra = append(extra, n)
			}
		}
		return fmt.Errorf("%w: part %d was uploaded but is not listed", ErrInvalid, slices.Min(extra))
	}
	return nil
}

// downloadName is the name a download is saved as: fileName, or the
// object's own name. Control characters are refused so that the name can
// go into a header.
func downloadName(k Key, fileName string) (string, error) {
	if fileName == "" {
		return path.Base(k.Path), nil
	}
	for _, r := range fileName {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%w: file name %q contains a control character", ErrInvalid, fileName)
		}
	}
	return fileName, nil
}

// contentDisposition is an attachment header for name (RFC 6266): an ASCII
// fallback for old clients and the exact UTF-8 name in filename* (RFC 5987).
func contentDisposition(name string) string {
	var ascii strings.Builder
	plain := true
	for _, r := range name {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || r >= 0x7f:
			ascii.WriteByte('_')
			plain = false
		default:
			ascii.WriteRune(r)
		}
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if !plain {
		v += "; filename*=UTF-8''" + rfc5987Escape(name)
	}
	return v
}

// rfc5987Escape percent-encodes everything but RFC 5987's attr-char.
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// contentType guesses a download's type from its name.
func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

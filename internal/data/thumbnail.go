package data

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/gif" // decoders for thumbnails
	"image/jpeg"
	_ "image/png"
	"io"
	"path"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// Thumbnail limits: images larger than this are not decoded, so that a
// crafted file cannot make the server allocate gigabytes.
const (
	maxThumbSource = 64 << 20 // bytes
	maxThumbPixels = 64 << 20 // width × height
)

// Thumbnail is a JPEG preview of an image file.
type Thumbnail struct {
	JPEG   []byte
	SHA256 string // of the source file, for caching
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true}

// IsImage reports whether a file name looks like an image we can preview.
func IsImage(name string) bool { return imageExts[strings.ToLower(path.Ext(name))] }

// Thumbnail returns a JPEG at most size pixels on its longer side.
func (s *Service) Thumbnail(ctx context.Context, id, fileID int64, size int) (Thumbnail, error) {
	p, err := caller(ctx)
	if err != nil {
		return Thumbnail{}, err
	}
	if size < 16 || size > 1024 {
		return Thumbnail{}, apperr.Invalid("size %d is out of range", size).WithDetail("use 16 to 1024 pixels")
	}
	f, err := s.fileByID(ctx, p, id, fileID)
	if err != nil {
		return Thumbnail{}, err
	}
	if !IsImage(f.FileName) {
		return Thumbnail{}, apperr.Invalid("file %q is not an image", f.FileName).
			WithDetail("previews are made of JPEG, PNG, GIF and WebP files")
	}
	if f.Size > maxThumbSource {
		return Thumbnail{}, apperr.Invalid("file %q is too large to preview", f.FileName)
	}
	st, err := s.tenantStore(ctx, p.TenantID)
	if err != nil {
		return Thumbnail{}, err
	}
	k, err := storage.NewKey(p.TenantName, storage.Data, f.StoredPath)
	if err != nil {
		return Thumbnail{}, StorageError(err)
	}
	rc, _, err := st.Open(ctx, k, 0, -1)
	if err != nil {
		return Thumbnail{}, StorageError(err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxThumbSource))
	if err != nil {
		return Thumbnail{}, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return Thumbnail{}, apperr.Invalid("file %q is not a readable image", f.FileName).Wrap(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxThumbPixels {
		return Thumbnail{}, apperr.Invalid("image %q is %d×%d pixels, too large to preview", f.FileName, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return Thumbnail{}, apperr.Invalid("file %q is not a readable image", f.FileName).Wrap(err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, h*size/w)
		} else {
			w, h = max(1, w*size/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// Transparent pixels become white, as image viewers show them.
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
		return Thumbnail{}, err
	}
	return Thumbnail{JPEG: out.Bytes(), SHA256: f.SHA256}, nil
}

package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	// s3PartSize is both the largest object stored with one PutObject and
	// the part size of larger ones: 10,000 parts make 160 GiB at most.
	s3PartSize = 16 << 20
	// s3PartsInFlight bounds a Put's memory to this many parts.
	s3PartsInFlight = 4
	// abortTimeout bounds the clean-up after a failed upload, which runs
	// even when the caller's context is done.
	abortTimeout = 30 * time.Second
)

// Put stores r with one PutObject when it is at most s3PartSize, else as a
// multipart upload of s3PartSize parts, a few in flight; S3 shows the
// object only once complete.
func (s *S3) Put(ctx context.Context, k Key, r io.Reader) (Object, error) {
	k, err := validKey(k)
	if err != nil {
		return Object{}, err
	}
	h := sha256.New()
	// One byte more than a part tells a small object from a large one.
	head, err := io.ReadAll(io.LimitReader(r, s3PartSize+1))
	if err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", k, err)
	}
	if len(head) <= s3PartSize {
		h.Write(head)
		if err := s.putObject(ctx, k, head); err != nil {
			return Object{}, err
		}
		return Object{Key: k, Size: int64(len(head)), SHA256: hex.EncodeToString(h.Sum(nil)), ModTime: time.Now()}, nil
	}
	h.Write(head[:s3PartSize]) // the byte after it is read again from rest
	rest := io.MultiReader(bytes.NewReader([]byte{head[s3PartSize]}), r)
	size, err := s.putMultipart(ctx, k, head[:s3PartSize], rest, h)
	if err != nil {
		return Object{}, err
	}
	return Object{Key: k, Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), ModTime: time.Now()}, nil
}

func (s *S3) putObject(ctx context.Context, k Key, body []byte) error {
	bucket, key := s.loc(k)
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return s3Error("put", k.String(), err)
	}
	return nil
}

// putMultipart uploads first and then the rest of the stream, hashing
// every byte into h, with at most s3PartsInFlight parts in memory. A
// failure aborts the upload.
func (s *S3) putMultipart(ctx context.Context, k Key, first []byte, rest io.Reader, h hash.Hash) (int64, error) {
	bucket, key := s.loc(k)
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return 0, s3Error("put", k.String(), err)
	}
	uploadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		parts   []types.CompletedPart
		upErr   error
		buffers = make(chan []byte, s3PartsInFlight)
	)
	for range s3PartsInFlight - 1 {
		buffers <- nil // allocated on first use
	}
	upload := func(n int32, b []byte) {
		defer wg.Done()
		out, err := s.client.UploadPart(uploadCtx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))),
		})
		mu.Lock()
		if err != nil && upErr == nil {
			upErr = fmt.Errorf("part %d: %w", n, err)
			cancel()
		}
		if err == nil {
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		}
		mu.Unlock()
		buffers <- b[:s3PartSize]
	}

	size := int64(len(first))
	wg.Add(1)
	go upload(1, first)
	var readErr error
	for n := int32(2); uploadCtx.Err() == nil; n++ {
		if n > MaxParts {
			readErr = fmt.Errorf("%w: larger than %d parts of %d bytes", ErrInvalid, MaxParts, s3PartSize)
			break
		}
		b := <-buffers
		if b == nil {
			b = make([]byte, s3PartSize)
		}
		m, err := io.ReadFull(rest, b)
		if m > 0 {
			h.Write(b[:m])
			size += int64(m)
			wg.Add(1)
			go upload(n, b[:m])
		} else {
			buffers <- b
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	wg.Wait()
	err = errors.Join(readErr, upErr)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
		_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer acancel()
		s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId})
		return 0, s3Error("put", k.String(), err)
	}
	return size, nil
}

// Open reads length bytes of k from offset (length < 0: to the end) with
// a ranged GetObject.
func (s *S3) Open(ctx context.Context, k Key, offset, length int64) (io.ReadCloser, Object, error) {
	k, err := validKey(k)
	if err != nil {
		return nil, Object{}, err
	}
	if offset < 0 {
		return nil, Object{}, fmt.Errorf("%w: negative offset %d", ErrInvalid, offset)
	}
	if length == 0 {
		return s.openEmpty(ctx, k, offset)
	}
	bucket, key := s.loc(k)
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if offset > 0 || length > 0 {
		rng := "bytes=" + strconv.FormatInt(offset, 10) + "-"
		if length > 0 {
			rng += strconv.FormatInt(offset+length-1, 10)
		}
		in.Range = &rng
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		if s3Code(err) == "InvalidRange" {
			// S3 refuses a range starting at the end; an empty read there
			// is fine.
			return s.openEmpty(ctx, k, offset)
		}
		return nil, Object{}, s3Error("open", k.String(), err)
	}
	o := Object{Key: k, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		o.Size = total
	}
	return out.Body, o, nil
}

// openEmpty reads nothing from offset, which must lie within k.
func (s *S3) openEmpty(ctx context.Context, k Key, offset int64) (io.ReadCloser, Object, error) {
	o, err := s.Stat(ctx, k)
	if err != nil {
		return nil, Object{}, err
	}
	if offset > o.Size {
		return nil, Object{}, fmt.Errorf("%w: offset %d beyond the end of %s (%d bytes)", ErrInvalid, offset, k, o.Size)
	}
	return io.NopCloser(strings.NewReader("")), o, nil
}

// rangeTotal reads the size from a Content-Range "bytes a-b/size".
func rangeTotal(cr string) (int64, bool) {
	_, total, ok := strings.Cut(cr, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil
}

// Stat describes k; S3 keeps no SHA-256 of it for us.
func (s *S3) Stat(ctx context.Context, k Key) (Object, error) {
	k, err := validKey(k)
	if err != nil {
		return Object{}, err
	}
	bucket, key := s.loc(k)
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return Object{}, s3Error("stat", k.String(), err)
	}
	return Object{Key: k, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete removes k; a missing object or bucket is not an error.
func (s *S3) Delete(ctx context.Context, k Key) error {
	k, err := validKey(k)
	if err != nil {
		return err
	}
	bucket, key := s.loc(k)
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil && !isS3NotFound(err) {
		return s3Error("delete", k.String(), err)
	}
	return nil
}

// DeletePrefix removes every object under the directory tenant/type/prefix
// ("" = the whole area): "a" removes a/x but not ab, as on the directory
// backend.
func (s *S3) DeletePrefix(ctx context.Context, tenant string, t ResourceType, prefix string) error {
	bucket, p, err := s.areaPrefix(tenant, t, prefix)
	if err != nil {
		return err
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &p})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if isS3NotFound(err) {
				return nil
			}
			return s3Error("delete", bucket+"/"+p, err)
		}
		keys := make([]string, 0, len(page.Contents))
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if err := s.deleteKeys(ctx, bucket, keys); err != nil {
			return err
		}
	}
	return nil
}

// deleteKeys removes keys from bucket, 1000 (S3's limit) per request.
func (s *S3) deleteKeys(ctx context.Context, bucket string, keys []string) error {
	for chunk := range slices.Chunk(keys, 1000) {
		ids := make([]types.ObjectIdentifier, len(chunk))
		for i, k := range chunk {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s3Error("delete objects in", bucket, err)
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) == "NoSuchKey" {
				continue
			}
			return fmt.Errorf("storage: delete %s/%s: %s: %s", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}

// List returns the entries directly under tenant/type/dir: the common
// prefixes and objects of a listing with delimiter '/'.
func (s *S3) List(ctx context.Context, tenant string, t ResourceType, dir string) ([]string, []Object, error) {
	bucket, p, err := s.areaPrefix(tenant, t, dir)
	if err != nil {
		return nil, nil, err
	}
	t, dir, _ = validArea(tenant, t, dir)
	var dirs []string
	var files []Object
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &p, Delimiter: aws.String("/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if isS3NotFound(err) {
				return nil, nil, nil
			}
			return nil, nil, s3Error("list", bucket+"/"+p, err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), p), "/")
			if name != "" && !strings.Contains(name, "/") && !strings.HasPrefix(name, tempPrefix) {
				dirs = append(dirs, name)
			}
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), p)
			if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, tempPrefix) {
				continue // a directory marker, or not ours
			}
			path := name
			if dir != "" {
				path = dir + "/" + name
			}
			files = append(files, Object{
				Key:  Key{Tenant: tenant, Type: t, Path: path},
				Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified),
			})
		}
	}
	slices.Sort(dirs)
	slices.SortFunc(files, func(a, b Object) int { return strings.Compare(a.Key.Path, b.Key.Path) })
	return dirs, files, nil
}

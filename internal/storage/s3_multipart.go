package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CreateMultipart starts an S3 multipart upload.
func (s *S3) CreateMultipart(ctx context.Context, k Key) (string, error) {
	k, err := validKey(k)
	if err != nil {
		return "", err
	}
	bucket, key := s.loc(k)
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", s3Error("create upload for", k.String(), err)
	}
	return aws.ToString(out.UploadId), nil
}

// PartURL is a presigned UploadPart URL: clients send the part straight
// to the store. base is not used.
func (s *S3) PartURL(ctx context.Context, base string, k Key, uploadID string, n int, ttl time.Duration) (string, error) {
	k, err := validKey(k)
	if err != nil {
		return "", err
	}
	if err := checkPartNumber(n); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	if uploadID == "" {
		return "", fmt.Errorf("%w: empty upload ID", ErrNotFound)
	}
	bucket, key := s.loc(k)
	req, err := s.presign.PresignUploadPart(ctx, &s3.UploadPartInput{
		Bucket: &bucket, Key: &key, UploadId: &uploadID, PartNumber: aws.Int32(int32(n)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", s3Error("sign part URL for", k.String(), err)
	}
	return req.URL, nil
}

// GetURL is a presigned GetObject URL that makes browsers save the file
// as fileName ("" = the object's own name). base is not used.
func (s *S3) GetURL(ctx context.Context, base string, k Key, fileName string, ttl time.Duration) (string, error) {
	k, err := validKey(k)
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
	bucket, key := s.loc(k)
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &bucket, Key: &key,
		ResponseContentDisposition: aws.String(contentDisposition(name)),
		ResponseContentType:        aws.String(contentType(name)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", s3Error("sign download URL for", k.String(), err)
	}
	return req.URL, nil
}

// CompleteMultipart checks the client's list against ListParts exactly as
// the directory backend does, completes the upload, and reads the object
// back once to compute its SHA-256 (the parts never passed through us).
func (s *S3) CompleteMultipart(ctx context.Context, k Key, uploadID string, parts []Part) (Object, error) {
	k, err := validKey(k)
	if err != nil {
		return Object{}, err
	}
	bucket, key := s.loc(k)
	uploaded := map[int]string{}
	serverETag := map[int]*string{}
	pages := s3.NewListPartsPaginator(s.client, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &uploadID})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return Object{}, s3Error("complete", k.String(), err)
		}
		for _, p := range page.Parts {
			n := int(aws.ToInt32(p.PartNumber))
			uploaded[n] = normalizeETag(aws.ToString(p.ETag))
			serverETag[n] = p.ETag
		}
	}
	if err := checkParts(parts, uploaded); err != nil {
		return Object{}, fmt.Errorf("storage: complete %s: %w", k, err)
	}
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: serverETag[p.Number]}
	}
	if _, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	}); err != nil {
		return Object{}, s3Error("complete", k.String(), err)
	}
	o, err := s.hash(ctx, k)
	if err != nil {
		// Without its sum the caller cannot record the file: remove it
		// rather than leave an object nobody knows of.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		s.client.DeleteObject(dctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
		return Object{}, err
	}
	return o, nil
}

// hash reads k through SHA-256.
func (s *S3) hash(ctx context.Context, k Key) (Object, error) {
	body, o, err := s.Open(ctx, k, 0, -1)
	if err != nil {
		return Object{}, err
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, body, make([]byte, copyBufSize))
	if err != nil {
		return Object{}, fmt.Errorf("storage: read back %s: %w", k, err)
	}
	o.Size, o.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return o, nil
}

// AbortMultipart aborts an upload and drops its parts.
func (s *S3) AbortMultipart(ctx context.Context, k Key, uploadID string) error {
	k, err := validKey(k)
	if err != nil {
		return err
	}
	bucket, key := s.loc(k)
	if _, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &uploadID}); err != nil {
		return s3Error("abort upload of", k.String(), err)
	}
	return nil
}

// CleanupMultipart aborts uploads initiated before cutoff: in the one
// bucket, or with per-tenant buckets in every bucket the credentials list.
// Only keys laid out as this package stores them are touched, so that
// other users of the same credentials keep their uploads.
func (s *S3) CleanupMultipart(ctx context.Context, cutoff time.Time) (int, error) {
	buckets := []string{s.cfg.Bucket}
	if s.cfg.Bucket == "" {
		buckets = nil
		pages := s3.NewListBucketsPaginator(s.client, &s3.ListBucketsInput{})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return 0, s3Error("list", "buckets", err)
			}
			for _, b := range page.Buckets {
				buckets = append(buckets, aws.ToString(b.Name))
			}
		}
	}
	removed := 0
	var errs []error
	for _, bucket := range buckets {
		pages := s3.NewListMultipartUploadsPaginator(s.client, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				errs = append(errs, s3Error("list uploads in", bucket, err))
				break
			}
			for _, u := range page.Uploads {
				if _, ok := s.keyOf(bucket, aws.ToString(u.Key)); !ok || !aws.ToTime(u.Initiated).Before(cutoff) {
					continue
				}
				_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
				if err != nil && !isS3NotFound(err) {
					errs = append(errs, s3Error("abort upload in", bucket, err))
					continue
				}
				removed++
			}
		}
	}
	return removed, errors.Join(errs...)
}

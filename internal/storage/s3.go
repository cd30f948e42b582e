package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config says where an S3-compatible store is.
type S3Config struct {
	// Endpoint is the service's URL, e.g. http://127.0.0.1:9000; empty
	// means AWS itself.
	Endpoint string
	Region   string // default us-east-1
	// Bucket, when set, holds every tenant's files under <tenant>/; when
	// empty each tenant has the bucket of its own name (created by
	// EnsureTenant) and keys start at <type>/.
	Bucket string
	// PathStyle addresses buckets as endpoint/bucket rather than
	// bucket.endpoint: what most servers other than AWS need.
	PathStyle bool
	// PublicEndpoint, when set, is the endpoint in the signed URLs that
	// clients use (PartURL, GetURL), for a store they reach by another
	// address than the server does.
	PublicEndpoint string
	AccessKey      string
	SecretKey      string
}

// S3 keeps files in an S3-compatible object store. It is safe for
// concurrent use.
type S3 struct {
	cfg     S3Config
	client  *s3.Client
	presign *s3.PresignClient
}

var _ Store = (*S3)(nil)

// NewS3 connects to the store; with a single bucket it creates the bucket
// when missing.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("storage: S3 access key and secret key are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: cfg.PathStyle,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")),
		// The SDK's default CRC checksums on every request and response
		// are refused or mangled by many S3-compatible servers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	client := s3.New(opts)
	signer := client
	if cfg.PublicEndpoint != "" {
		signer = s3.New(opts, func(o *s3.Options) { o.BaseEndpoint = aws.String(cfg.PublicEndpoint) })
	}
	s := &S3{cfg: cfg, client: client, presign: s3.NewPresignClient(signer)}
	if cfg.Bucket != "" {
		if err := s.ensureBucket(ctx, cfg.Bucket); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ensureBucket creates bucket unless it exists and is ours.
func (s *S3) ensureBucket(ctx context.Context, bucket string) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err == nil {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: &bucket}
	if s.cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(s.cfg.Region),
		}
	}
	_, err := s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err == nil || errors.As(err, &owned) {
		return nil
	}
	// Created meanwhile by another process, or a server that answers
	// BucketAlreadyExists to its owner too.
	if _, herr := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); herr == nil {
		return nil
	}
	return fmt.Errorf("storage: create bucket %s: %w", bucket, err)
}

// EnsureTenant creates the tenant's bucket when buckets are per tenant.
func (s *S3) EnsureTenant(ctx context.Context, tenant string) error {
	if _, _, err := validArea(tenant, Data, ""); err != nil {
		return err
	}
	if s.cfg.Bucket != "" {
		return nil
	}
	return s.ensureBucket(ctx, tenant)
}

// loc is where k lives: its bucket and object key.
func (s *S3) loc(k Key) (bucket, key string) {
	if s.cfg.Bucket == "" {
		return k.Tenant, string(k.Type) + "/" + k.Path
	}
	return s.cfg.Bucket, k.String()
}

// areaPrefix is the bucket and key prefix (ending in '/') of an area's
// directory dir ("" = the area's root).
func (s *S3) areaPrefix(tenant string, t ResourceType, dir string) (bucket, prefix string, err error) {
	t, dir, err = validArea(tenant, t, dir)
	if err != nil {
		return "", "", err
	}
	bucket, prefix = tenant, string(t)+"/"
	if s.cfg.Bucket != "" {
		bucket, prefix = s.cfg.Bucket, tenant+"/"+prefix
	}
	if dir != "" {
		prefix += dir + "/"
	}
	return bucket, prefix, nil
}

// keyOf maps an object key in bucket back to a Key, or reports that it is
// not laid out as this package stores files.
func (s *S3) keyOf(bucket, key string) (Key, bool) {
	tenant := bucket
	if s.cfg.Bucket != "" {
		var ok bool
		if tenant, key, ok = strings.Cut(key, "/"); !ok {
			return Key{}, false
		}
	}
	t, p, ok := strings.Cut(key, "/")
	if !ok {
		return Key{}, false
	}
	k, err := NewKey(tenant, ResourceType(t), p)
	if err != nil || string(k.Type) != t {
		return Key{}, false
	}
	return k, true
}

// s3Error wraps err with what failed, mapping the store's "no such ..."
// answers to ErrNotFound and its refusals of a request's content to
// ErrInvalid.
func s3Error(op, what string, err error) error {
	switch {
	case isS3NotFound(err):
		return fmt.Errorf("storage: %s %s: %w: %w", op, what, ErrNotFound, err)
	case s3Code(err) == "InvalidPart" || s3Code(err) == "InvalidPartOrder" || s3Code(err) == "EntityTooSmall" ||
		s3Code(err) == "InvalidRange" || s3Code(err) == "InvalidBucketName":
		return fmt.Errorf("storage: %s %s: %w: %w", op, what, ErrInvalid, err)
	}
	return fmt.Errorf("storage: %s %s: %w", op, what, err)
}

func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isS3NotFound(err error) bool {
	switch s3Code(err) {
	case "NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchBucket":
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 404
}

package storage_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// The S3 tests run against the server these variables name (see
// scripts/test-s3.sh); KQI_TEST_REQUIRE_S3=1 makes a missing server a
// failure rather than a skip.
const (
	s3EndpointEnv  = "KQI_TEST_S3_ENDPOINT"
	s3AccessKeyEnv = "KQI_TEST_S3_ACCESS_KEY"
	s3SecretKeyEnv = "KQI_TEST_S3_SECRET_KEY"
	requireS3Env   = "KQI_TEST_REQUIRE_S3"
)

// s3Config is the test server's configuration, or a skip.
func s3Config(t testing.TB) storage.S3Config {
	t.Helper()
	cfg := storage.S3Config{
		Endpoint:  os.Getenv(s3EndpointEnv),
		AccessKey: os.Getenv(s3AccessKeyEnv),
		SecretKey: os.Getenv(s3SecretKeyEnv),
		PathStyle: true,
	}
	if cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		msg := s3EndpointEnv + ", " + s3AccessKeyEnv + " and " + s3SecretKeyEnv + " are not all set (scripts/test-s3.sh starts a server)"
		if os.Getenv(requireS3Env) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return cfg
}

func TestS3(t *testing.T) {
	cfg := s3Config(t)
	for name, oneBucket := range map[string]bool{
		"with a bucket per tenant":        false,
		"with one bucket for all tenants": true,
	} {
		t.Run(name, func(t *testing.T) {
			testStore(t, func(t *testing.T) storage.Store {
				cfg := cfg
				if oneBucket {
					cfg.Bucket = newTenantName()
				}
				s, err := storage.NewS3(t.Context(), cfg)
				if err != nil {
					t.Fatalf("NewS3: %v", err)
				}
				st := &bucketTracker{Store: s, perTenant: !oneBucket}
				if oneBucket {
					st.buckets = []string{cfg.Bucket}
				}
				t.Cleanup(func() { removeBuckets(t, cfg, st.buckets) })
				return st
			})
		})
	}
}

// bucketTracker notes the buckets a test creates, to remove them after.
type bucketTracker struct {
	storage.Store
	perTenant bool
	mu        sync.Mutex
	buckets   []string
}

func (b *bucketTracker) EnsureTenant(ctx context.Context, tenant string) error {
	if err := b.Store.EnsureTenant(ctx, tenant); err != nil {
		return err
	}
	if b.perTenant {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.buckets = append(b.buckets, tenant)
	}
	return nil
}

// removeBuckets empties and removes buckets with the SDK directly, so that
// repeated runs against a long-lived server leave nothing.
func removeBuckets(t testing.TB, cfg storage.S3Config, buckets []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(cfg.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
	})
	for _, bucket := range buckets {
		uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err == nil {
			for _, u := range uploads.Uploads {
				c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
			}
		}
		pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				break
			}
			for _, o := range page.Contents {
				c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
			}
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Logf("remove test bucket %s: %v", bucket, err)
		}
	}
}

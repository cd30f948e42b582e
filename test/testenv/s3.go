package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// Environment variables naming the real S3 server of the run
// (scripts/test-s3.sh start prints the endpoint).
const (
	S3EndpointEnv  = "KQI_TEST_S3_ENDPOINT"
	S3AccessKeyEnv = "KQI_TEST_S3_ACCESS_KEY"
	S3SecretKeyEnv = "KQI_TEST_S3_SECRET_KEY"
	RequireS3Env   = "KQI_TEST_REQUIRE_S3"
)

// Storage backends the data tests run on.
const (
	Dir = "dir"
	S3  = "s3"
)

// S3Config is where the real S3 server of the run is.
type S3Config struct {
	Endpoint, AccessKey, SecretKey string
}

// Storages lists the storage backends of this run: the directory always,
// and S3 when KQI_TEST_S3_ENDPOINT is set (required when
// KQI_TEST_REQUIRE_S3=1, as `make test` does).
func Storages(t *testing.T) []string {
	t.Helper()
	if os.Getenv(S3EndpointEnv) != "" {
		return []string{Dir, S3}
	}
	if os.Getenv(RequireS3Env) == "1" {
		t.Fatalf("%s=1 but %s is not set: start a server with `export %s=$(scripts/test-s3.sh start)`",
			RequireS3Env, S3EndpointEnv, S3EndpointEnv)
	}
	return []string{Dir}
}

// S3Server returns the run's S3 server.
func S3Server(t *testing.T) S3Config {
	t.Helper()
	c := S3Config{Endpoint: os.Getenv(S3EndpointEnv), AccessKey: os.Getenv(S3AccessKeyEnv), SecretKey: os.Getenv(S3SecretKeyEnv)}
	if c.Endpoint == "" || c.AccessKey == "" || c.SecretKey == "" {
		t.Fatalf("%s, %s and %s must all be set", S3EndpointEnv, S3AccessKeyEnv, S3SecretKeyEnv)
	}
	return c
}

// UniqueBucket is a bucket name no other test uses.
func UniqueBucket(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "kqi-test-" + hex.EncodeToString(b)
}

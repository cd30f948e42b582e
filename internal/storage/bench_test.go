package storage_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/kamonohashi-go/kamonohashi/internal/storage"
)

// repeatReader streams n bytes of a pattern without holding them, as an
// upload's body does.
type repeatReader struct {
	pattern []byte
	left    int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, r.pattern)
	n = int(min(int64(n), r.left))
	r.left -= int64(n)
	return n, nil
}

// BenchmarkFSPut measures one large synced stream; compare with
// `dd if=/dev/zero of=F bs=1M count=256 conv=fsync` on the same disk.
func BenchmarkFSPut(b *testing.B) {
	s, _ := newFS(b)
	k := storage.Key{Tenant: "t1", Type: storage.Data, Path: "big.bin"}
	const size = 256 * mib
	pattern := payload(64<<10, 1)
	b.SetBytes(size)
	for b.Loop() {
		if _, err := s.Put(b.Context(), k, &repeatReader{pattern: pattern, left: size}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFSBatch measures 1,000 small files committed together.
func BenchmarkFSBatch(b *testing.B) {
	s, _ := newFS(b)
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = payload(500+i, uint64(i))
	}
	round := 0
	for b.Loop() {
		round++
		batch := s.Batch()
		for i, body := range bodies {
			k := storage.Key{Tenant: "t1", Type: storage.Data, Path: fmt.Sprintf("r%d/d%02d/f%04d.txt", round, i%20, i)}
			if _, err := batch.Put(b.Context(), k, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkS3Batch measures 1,000 small files through a batch on the test
// S3 server (see s3_test.go).
func BenchmarkS3Batch(b *testing.B) {
	cfg := s3Config(b)
	cfg.Bucket = newTenantName()
	s, err := storage.NewS3(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { removeBuckets(b, cfg, []string{cfg.Bucket}) })
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = payload(500+i, uint64(i))
	}
	round := 0
	for b.Loop() {
		round++
		batch := s.Batch()
		for i, body := range bodies {
			k := storage.Key{Tenant: "t1", Type: storage.Data, Path: fmt.Sprintf("r%d/d%02d/f%04d.txt", round, i%20, i)}
			if _, err := batch.Put(b.Context(), k, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

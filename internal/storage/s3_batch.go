package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

const (
	// s3BatchWorkers uploads a batch's small files this many at a time:
	// per-request latency, not bandwidth, bounds many small files.
	s3BatchWorkers = 16
	// s3BatchSmall is the largest file a batch holds in memory for a
	// background upload; larger ones are stored by Put before it returns.
	s3BatchSmall = 1 << 20
)

// s3Batch uploads small files in the background, s3BatchWorkers at a
// time. S3 cannot make several objects appear at once: files become
// visible as their uploads finish, and a failed Commit or an Abort deletes
// them again. A batch is for one goroutine at a time.
type s3Batch struct {
	s *S3
	// ctx carries the background uploads: not a Put's context, which may
	// end when Put returns; Abort cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // the first failure
	put    []Key // stored (or being stored), to delete on failure
	done   bool
}

// Batch starts a group of puts; see s3Batch.
func (s *S3) Batch() Batch {
	ctx, cancel := context.WithCancel(context.Background())
	return &s3Batch{s: s, ctx: ctx, cancel: cancel, sem: make(chan struct{}, s3BatchWorkers)}
}

func (b *s3Batch) Put(ctx context.Context, k Key, r io.Reader) (Object, error) {
	if b.done {
		return Object{}, errors.New("storage: put on a finished batch")
	}
	k, err := validKey(k)
	if err != nil {
		return Object{}, err
	}
	if err := b.failed(); err != nil {
		return Object{}, err
	}
	body, err := io.ReadAll(io.LimitReader(r, s3BatchSmall+1))
	if err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", k, err)
	}
	b.mu.Lock()
	b.put = append(b.put, k)
	b.mu.Unlock()
	if len(body) > s3BatchSmall {
		return b.s.Put(ctx, k, io.MultiReader(bytes.NewReader(body), r))
	}
	sum := sha256.Sum256(body)
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return Object{}, ctx.Err()
	}
	b.wg.Add(1)
	go func() {
		defer func() { <-b.sem; b.wg.Done() }()
		if err := b.s.putObject(b.ctx, k, body); err != nil {
			b.fail(err)
		}
	}()
	return Object{Key: k, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), ModTime: time.Now()}, nil
}

func (b *s3Batch) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

func (b *s3Batch) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Commit waits for the uploads; on a failure it deletes what the batch
// stored and returns the first error.
func (b *s3Batch) Commit(ctx context.Context) error {
	if b.done {
		return errors.New("storage: commit of a finished batch")
	}
	b.done = true
	b.wg.Wait()
	b.cancel()
	if err := b.failed(); err != nil {
		if derr := b.removeAll(ctx); derr != nil {
			err = errors.Join(err, derr)
		}
		return fmt.Errorf("storage: commit batch: %w", err)
	}
	return nil
}

// Abort stops the uploads and deletes everything the batch stored; after
// Commit it does nothing.
func (b *s3Batch) Abort(ctx context.Context) error {
	if b.done {
		return nil
	}
	b.done = true
	b.cancel()
	b.wg.Wait()
	return b.removeAll(ctx)
}

// removeAll deletes the batch's objects, even when the caller's context
// is done, so that nothing stays behind.
func (b *s3Batch) removeAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	byBucket := map[string][]string{}
	for _, k := range b.put {
		bucket, key := b.s.loc(k)
		byBucket[bucket] = append(byBucket[bucket], key)
	}
	var errs []error
	for bucket, keys := range byBucket {
		if err := b.s.deleteKeys(ctx, bucket, keys); err != nil && !isS3NotFound(err) {
			errs = append(errs, err)
		}
	}
	b.put = nil
	return errors.Join(errs...)
}

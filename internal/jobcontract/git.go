package jobcontract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/sys/unix"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// FetchCode writes the tree of src.Commit into dir. With a cache directory
// it keeps a bare mirror of the repository there (one per URL, locked while
// in use) and fetches only when the commit is missing from it; without, it
// fetches into a mirror inside dir's parent that is removed afterwards.
// dir receives the files only, without a .git directory: the commit is in
// COMMIT_ID. Submodules are not fetched.
func FetchCode(ctx context.Context, src runner.GitSource, cache, dir string) error {
	commit := strings.ToLower(src.Commit)
	if !commitRE.MatchString(commit) {
		return fmt.Errorf("git: commit %q is not a full 40-digit commit id", src.Commit)
	}
	if src.URL == "" {
		return errors.New("git: no repository URL")
	}
	if cache == "" {
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".git-mirror-")
		if err != nil {
			return fmt.Errorf("git: %w", err)
		}
		defer os.RemoveAll(tmp)
		cache = tmp
	}
	mirror := filepath.Join(cache, mirrorName(src.URL))
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return fmt.Errorf("git: create cache: %w", err)
	}
	unlock, err := lockFile(ctx, mirror+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	repo, err := openMirror(mirror, src.URL)
	if err != nil {
		return err
	}
	c, err := findCommit(ctx, repo, src, plumbing.NewHash(commit))
	if err != nil {
		return err
	}
	return writeTree(c, dir)
}

// mirrorName is a stable directory name for a repository URL (which may
// hold credentials, so it is hashed rather than spelled out).
func mirrorName(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:12]) + ".git"
}

// lockFile takes an exclusive flock on path, for jobs fetching the same
// repository at once (they may be separate processes).
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("git: lock cache: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- unix.Flock(int(f.Fd()), unix.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("git: lock cache: %w", err)
		}
		return func() { f.Close() }, nil
	case <-ctx.Done():
		f.Close() // the flock call returns with EBADF or gets the lock and loses it
		return nil, ctx.Err()
	}
}

func openMirror(dir, url string) (*git.Repository, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(dir, true)
		if err == nil {
			_, err = repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("git: open cache of %s: %w", redact(url), err)
	}
	return repo, nil
}

// findCommit returns the commit from the mirror, fetching branches and tags
// first when it is missing, then the commit itself (servers that allow
// fetching by id serve commits no branch holds any more).
func findCommit(ctx context.Context, repo *git.Repository, src runner.GitSource, h plumbing.Hash) (*object.Commit, error) {
	if c, err := repo.CommitObject(h); err == nil {
		return c, nil
	}
	var auth transport.AuthMethod
	if src.Token != "" {
		user := src.User
		if user == "" {
			user = "kamonohashi" // token-only hosts accept any user name
		}
		auth = &githttp.BasicAuth{Username: user, Password: src.Token}
	}
	specs := [][]gitconfig.RefSpec{
		{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		{gitconfig.RefSpec(h.String() + ":refs/kqi/" + h.String())},
	}
	var fetchErr error
	for i, rs := range specs {
		err := repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RemoteURL: src.URL,
			RefSpecs: rs, Auth: auth, Tags: git.NoTags, Force: true})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if i == 0 {
				fetchErr = err // by id is a long shot; its error says little
			}
		}
		if c, err := repo.CommitObject(h); err == nil {
			return c, nil
		}
	}
	if fetchErr != nil {
		return nil, fmt.Errorf("git: fetch commit %s from %s: %w", h, redact(src.URL), fetchErr)
	}
	return nil, fmt.Errorf("git: commit %s is not in %s", h, redact(src.URL))
}

// writeTree writes every file of c into dir, with its executable bit and
// symbolic links as they are in git.
func writeTree(c *object.Commit, dir string) error {
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("git: tree of %s: %w", c.Hash, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	err = tree.Files().ForEach(func(f *object.File) error {
		dst, err := within(dir, f.Name)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if f.Mode == filemode.Symlink {
			target, err := f.Contents()
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		perm := os.FileMode(0o644)
		if f.Mode == filemode.Executable {
			perm = 0o755
		}
		return writeBlob(f, dst, perm)
	})
	if err != nil {
		return fmt.Errorf("git: write files of %s: %w", c.Hash, err)
	}
	return nil
}

func writeBlob(f *object.File, dst string, perm os.FileMode) error {
	r, err := f.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// redact drops credentials from a URL for messages.
func redact(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		host := url[i+3:]
		if j := strings.IndexByte(host, '/'); j >= 0 {
			host = host[:j]
		}
		if at := strings.LastIndex(host, "@"); at >= 0 {
			return url[:i+3] + "***@" + url[i+3+at+1:]
		}
	}
	return url
}

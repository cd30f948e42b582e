package gitrepo

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// minPrefix is the shortest commit id prefix accepted.
const minPrefix = 7

// findCommit fetches commit id (full, or a prefix of at least minPrefix hex
// digits) from src. It asks for the commit alone where the server allows
// it (a reference points at it, or the server sends any reachable commit)
// and otherwise fetches every branch and looks there.
func (s *Service) findCommit(ctx context.Context, src Source, id string) (*object.Commit, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < minPrefix || len(id) > 40 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, apperr.Invalid("commit %q is not a commit id", id).
			WithDetail("use the full 40-hex-digit id or at least its first %d digits", minPrefix)
	}
	r, err := s.connect(ctx, src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	notFound := apperr.NotFound("commit %s is not found in %s", id, r.name).
		WithDetail("it is on none of the repository's branches; push it, or check the id")
	if want, ok := r.refPointingAt(id); ok || (len(id) == 40 && r.canWantAnyCommit()) {
		if !ok {
			want = plumbing.NewHash(id)
		}
		st, err := r.fetch(ctx, 1, want)
		if err == nil {
			return object.GetCommit(st, want)
		}
		if ok {
			return nil, err
		}
		// The server refused an id it does not have: look on every branch.
		if r, err = s.connect(ctx, src); err != nil {
			return nil, err
		}
		defer r.Close()
	}
	var wants []plumbing.Hash
	for _, b := range r.branches() {
		if !contains(wants, b.Hash()) {
			wants = append(wants, b.Hash())
		}
	}
	if len(wants) == 0 {
		return nil, notFound
	}
	st, err := r.fetch(ctx, 0, wants...)
	if err != nil {
		return nil, err
	}
	return lookup(st, id, notFound)
}

func contains(hs []plumbing.Hash, h plumbing.Hash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// refPointingAt finds a reference whose commit id starts with id.
func (r *remote) refPointingAt(id string) (plumbing.Hash, bool) {
	for _, ref := range r.refs {
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(ref.Hash().String(), id) {
			return ref.Hash(), true
		}
	}
	return plumbing.ZeroHash, false
}

// lookup finds the one commit in st whose id starts with id.
func lookup(st *memory.Storage, id string, notFound error) (*object.Commit, error) {
	if len(id) == 40 {
		c, err := object.GetCommit(st, plumbing.NewHash(id))
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, notFound
		}
		return c, err
	}
	var found []plumbing.Hash
	for h := range st.Commits {
		if strings.HasPrefix(h.String(), id) {
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return nil, notFound
	case 1:
		return object.GetCommit(st, found[0])
	}
	return nil, apperr.Invalid("commit id %s is ambiguous", id).WithDetail("give more digits")
}

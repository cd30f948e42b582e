package gitrepo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// Branch is one branch of a repository.
type Branch struct {
	BranchName string `json:"branchName"`
	CommitID   string `json:"commitId"`
}

// Commit is one commit of a repository.
type Commit struct {
	CommitID      string    `json:"commitId"`
	CommitterName string    `json:"committerName"`
	CommitAt      time.Time `json:"commitAt"`
	Comment       string    `json:"comment"`
	// Display is one line for pickers: short id, subject, committer and date.
	Display string `json:"display"`
}

// CommitsPerPage is the page size of Commits.
const CommitsPerPage = 30

// maxCommitPages bounds how deep Commits fetches history.
const maxCommitPages = 100

// DefaultBranch is the branch ResolveCommit uses when none is named, as
// the original did.
const DefaultBranch = "master"

func commitOf(c *object.Commit) Commit {
	subject, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	at := c.Committer.When.UTC()
	return Commit{CommitID: c.Hash.String(), CommitterName: c.Committer.Name, CommitAt: at,
		Comment: strings.TrimSpace(c.Message),
		Display: fmt.Sprintf("%s %s (%s, %s)", c.Hash.String()[:7], subject, c.Committer.Name, at.Format("2006-01-02 15:04"))}
}

// open connects to owner/repo on git endpoint gitID for the caller.
func (s *Service) open(ctx context.Context, gitID int64, owner, repo string) (*remote, Source, error) {
	src, err := s.Source(ctx, gitID, owner, repo)
	if err != nil {
		return nil, Source{}, err
	}
	r, err := s.connect(ctx, src)
	return r, src, err
}

// Branches lists the branches of owner/repo, by name.
func (s *Service) Branches(ctx context.Context, gitID int64, owner, repo string) ([]Branch, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r, _, err := s.open(ctx, gitID, owner, repo)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := []Branch{}
	for _, ref := range r.branches() {
		out = append(out, Branch{BranchName: ref.Name().Short(), CommitID: ref.Hash().String()})
	}
	slices.SortFunc(out, func(a, b Branch) int { return strings.Compare(a.BranchName, b.BranchName) })
	return out, nil
}

// Commits lists the commits of branch (the repository's HEAD branch when
// empty), newest first, CommitsPerPage a page from page 1.
func (s *Service) Commits(ctx context.Context, gitID int64, owner, repo, branch string, page int) ([]Commit, error) {
	if page < 1 || page > maxCommitPages {
		return nil, apperr.Invalid("page %d is out of range", page).WithDetail("use 1 to %d", maxCommitPages)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r, _, err := s.open(ctx, gitID, owner, repo)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tip, err := r.branchTip(branch, false)
	if err != nil {
		return nil, err
	}
	st, err := r.fetch(ctx, page*CommitsPerPage, tip)
	if err != nil {
		return nil, err
	}
	cs, err := walk(st, tip, page*CommitsPerPage)
	if err != nil {
		return nil, err
	}
	out := []Commit{}
	for _, c := range cs[min(len(cs), (page-1)*CommitsPerPage):] {
		out = append(out, commitOf(c))
	}
	return out, nil
}

// Commit returns one commit of owner/repo.
func (s *Service) Commit(ctx context.Context, gitID int64, owner, repo, commitID string) (Commit, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	src, err := s.Source(ctx, gitID, owner, repo)
	if err != nil {
		return Commit{}, err
	}
	c, err := s.findCommit(ctx, src, commitID)
	if err != nil {
		return Commit{}, err
	}
	return commitOf(c), nil
}

// ResolveCommit returns the full id of commit (a full id or a unique
// prefix of at least 7 hex digits) after checking that the server has it,
// or, when commit is empty, the head of branch (DefaultBranch when empty).
func (s *Service) ResolveCommit(ctx context.Context, src Source, branch, commit string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if commit != "" {
		c, err := s.findCommit(ctx, src, commit)
		if err != nil {
			return "", err
		}
		return c.Hash.String(), nil
	}
	r, err := s.connect(ctx, src)
	if err != nil {
		return "", err
	}
	defer r.Close()
	tip, err := r.branchTip(branch, true)
	return tip.String(), err
}

// branchTip is the commit branch points at. An empty branch is HEAD's, or
// DefaultBranch when defaultMaster is set.
func (r *remote) branchTip(branch string, defaultMaster bool) (plumbing.Hash, error) {
	defaulted := branch == ""
	if defaulted && defaultMaster {
		branch = DefaultBranch
	}
	name := plumbing.NewBranchReferenceName(branch)
	if defaulted && !defaultMaster {
		if name = r.head(); name == "" {
			name = plumbing.NewBranchReferenceName(DefaultBranch)
		}
	}
	if ref, ok := r.refs[name]; ok && ref.Type() == plumbing.HashReference {
		return ref.Hash(), nil
	}
	var names []string
	for _, b := range r.branches() {
		names = append(names, b.Name().Short())
	}
	slices.Sort(names)
	e := apperr.NotFound("branch %s is not found in %s", name.Short(), r.name)
	switch {
	case len(names) == 0:
		return plumbing.ZeroHash, e.WithDetail("the repository has no branches yet")
	case defaulted:
		return plumbing.ZeroHash, e.WithDetail("no branch was named, so %s was used; name one of: %s", name.Short(), strings.Join(first(names, 10), ", "))
	}
	return plumbing.ZeroHash, e.WithDetail("its branches are: %s", strings.Join(first(names, 10), ", "))
}

func first(s []string, n int) []string { return s[:min(len(s), n)] }

// commitHeap orders commits newest first.
type commitHeap []*object.Commit

func (h commitHeap) Len() int           { return len(h) }
func (h commitHeap) Less(i, j int) bool { return h[i].Committer.When.After(h[j].Committer.When) }
func (h commitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *commitHeap) Push(x any)        { *h = append(*h, x.(*object.Commit)) }
func (h *commitHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// walk returns up to n commits reachable from tip, newest first. Parents a
// shallow fetch left out end their line of history.
func walk(st *memory.Storage, tip plumbing.Hash, n int) ([]*object.Commit, error) {
	c, err := object.GetCommit(st, tip)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", tip, err)
	}
	seen := map[plumbing.Hash]bool{tip: true}
	h := &commitHeap{c}
	var out []*object.Commit
	for h.Len() > 0 && len(out) < n {
		c := heap.Pop(h).(*object.Commit)
		out = append(out, c)
		for _, p := range c.ParentHashes {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := object.GetCommit(st, p)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read commit %s: %w", p, err)
			}
			heap.Push(h, pc)
		}
	}
	return out, nil
}

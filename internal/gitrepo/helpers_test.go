package gitrepo_test

import (
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

func deleteBranch(dir, name string) error {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return err
	}
	return r.Storer.RemoveReference(plumbing.NewBranchReferenceName(name))
}

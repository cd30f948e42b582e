package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/file"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// remote is one upload-pack conversation with a git server: the references
// it advertises, then at most one fetch.
type remote struct {
	name string // owner/repo, for messages
	sess transport.UploadPackSession
	adv  *packp.AdvRefs
	refs map[plumbing.ReferenceName]*plumbing.Reference
}

func (r *remote) Close() { _ = r.sess.Close() }

// displayName is the repository part of a clone URL, for messages.
func displayName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	if u.Scheme != "file" {
		return p
	}
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

// connect opens a session to src and reads its references. A repository
// the server does not know is tried again with ".git" appended.
func (s *Service) connect(ctx context.Context, src Source) (*remote, error) {
	r, err := s.connectURL(ctx, src, src.URL)
	if errors.Is(err, transport.ErrRepositoryNotFound) && !strings.HasSuffix(src.URL, ".git") {
		if r2, err2 := s.connectURL(ctx, src, src.URL+".git"); err2 == nil {
			return r2, nil
		}
	}
	if err != nil {
		return nil, remoteErr(err, displayName(src.URL))
	}
	return r, nil
}

func (s *Service) connectURL(ctx context.Context, src Source, raw string) (*remote, error) {
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		return nil, apperr.Invalid("%q is not a git URL", raw).Wrap(err)
	}
	var tr transport.Transport
	var am transport.AuthMethod
	switch ep.Protocol {
	case "http", "https":
		tr = s.git
		if src.Token != "" {
			user := src.User
			if user == "" {
				user = TokenUser
			}
			am = &githttp.BasicAuth{Username: user, Password: src.Token}
		}
	case "file":
		tr = file.DefaultClient
	default:
		return nil, apperr.Invalid("git URLs of scheme %q are not supported", ep.Protocol).
			WithDetail("use an http(s) or file URL")
	}
	sess, err := tr.NewUploadPackSession(ep, am)
	if err != nil {
		return nil, err
	}
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	refs, err := adv.AllReferences()
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	return &remote{name: displayName(raw), sess: sess, adv: adv, refs: refs}, nil
}

// head is the branch HEAD points at ("" when the server does not say).
func (r *remote) head() plumbing.ReferenceName {
	if h, ok := r.refs[plumbing.HEAD]; ok && h.Type() == plumbing.SymbolicReference {
		return h.Target()
	}
	return ""
}

// branches lists the branch references, sorted by name by the caller.
func (r *remote) branches() []*plumbing.Reference {
	var out []*plumbing.Reference
	for name, ref := range r.refs {
		if name.IsBranch() && ref.Type() == plumbing.HashReference {
			out = append(out, ref)
		}
	}
	return out
}

// fetch downloads wants into memory, depth commits deep when the server
// can cut history (0: all of it).
func (r *remote) fetch(ctx context.Context, depth int, wants ...plumbing.Hash) (*memory.Storage, error) {
	st := memory.NewStorage()
	req := packp.NewUploadPackRequestFromCapabilities(r.adv.Capabilities)
	req.Wants = wants
	if depth > 0 && r.adv.Capabilities.Supports(capability.Shallow) {
		req.Depth = packp.DepthCommits(depth)
		if err := req.Capabilities.Set(capability.Shallow); err != nil {
			return nil, err
		}
	}
	if r.adv.Capabilities.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return nil, err
		}
	}
	resp, err := r.sess.UploadPack(ctx, req)
	if err != nil {
		return nil, remoteErr(err, r.name)
	}
	defer resp.Close()
	if err := packfile.UpdateObjectStorage(st, demux(req.Capabilities, resp)); err != nil {
		return nil, remoteErr(err, r.name)
	}
	return st, nil
}

// canWantAnyCommit reports whether the server sends commits no reference
// points at.
func (r *remote) canWantAnyCommit() bool {
	c := r.adv.Capabilities
	return c.Supports(capability.AllowReachableSHA1InWant) || c.Supports(capability.AllowTipSHA1InWant)
}

func demux(l *capability.List, rd io.Reader) io.Reader {
	switch {
	case l.Supports(capability.Sideband64k):
		return sideband.NewDemuxer(sideband.Sideband64k, rd)
	case l.Supports(capability.Sideband):
		return sideband.NewDemuxer(sideband.Sideband, rd)
	}
	return rd
}

// remoteErr turns a failure to talk to a git server into a readable domain
// error: unknown repository 404, refused credentials 400, anything else 502.
func remoteErr(err error, name string) error {
	if _, ok := apperr.As(err); ok || errors.Is(err, context.Canceled) {
		return err
	}
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return apperr.NotFound("repository %s is not found", name).
			WithDetail("check the owner and the repository name").Wrap(err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod):
		return apperr.Invalid("the git server refused access to %s", name).
			WithDetail("the repository may not exist, or your token for this git server is missing or lacks access: set it in Account settings → Git").Wrap(err)
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.BadGateway("the git server did not answer in time for %s", name).Wrap(err)
	}
	return apperr.BadGateway("the git server could not be reached for %s", name).
		WithDetail("%s", strings.TrimSpace(fmt.Sprint(err))).Wrap(err)
}

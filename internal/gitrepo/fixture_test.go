package gitrepo_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/gitrepo"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

const sandbox = int64(1)

// fixture is a service on a fresh SQLite database with one user in the
// seeded tenant sandbox, acting as that user.
type fixture struct {
	svc    *gitrepo.Service
	db     *store.DB
	box    *secret.Box
	ctx    context.Context
	userID int64
}

func newFixture(t *testing.T, opts ...gitrepo.Option) *fixture {
	t.Helper()
	db := testenv.NewDB(t, testenv.SQLite)
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	uid, err := db.Q().InsertUser(ctx, store.User{Name: "alice", ServiceType: store.UserServiceLocal}, "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts = append([]gitrepo.Option{gitrepo.WithTimeout(10 * time.Second)}, opts...)
	svc := gitrepo.New(db, box, log, &http.Client{}, opts...)
	p := &auth.Principal{UserID: uid, UserName: "alice", TenantID: sandbox, TenantName: "sandbox"}
	return &fixture{svc: svc, db: db, box: box, ctx: auth.WithPrincipal(ctx, p), userID: uid}
}

// addGit registers a git endpoint, lets sandbox use it and stores token
// for the user ("" stores none).
func (f *fixture) addGit(t *testing.T, in gitrepo.Input, token string) int64 {
	t.Helper()
	v, err := f.svc.Create(f.ctx, in)
	if err != nil {
		t.Fatalf("create git %+v: %v", in, err)
	}
	q := f.db.Q()
	gits, regs, err := q.TenantLinks(f.ctx, sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetTenantLinks(f.ctx, sandbox, append(gits, v.ID), regs); err != nil {
		t.Fatal(err)
	}
	if token != "" {
		sealed, err := f.box.Seal(token)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.SetGitToken(f.ctx, f.userID, sandbox, v.ID, sealed, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return v.ID
}

// wantKind fails unless err is an apperr of kind.
func wantKind(t *testing.T, err error, kind apperr.Kind) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind {
		t.Fatalf("error %v (%T), want an apperr of kind %d", err, err, kind)
	}
	return e
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	return "http://" + addr
}

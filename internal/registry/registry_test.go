package registry_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/registry"
	"github.com/kamonohashi-go/kamonohashi/internal/registry/registrytest"
	"github.com/kamonohashi-go/kamonohashi/internal/secret"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

const sandbox = int64(1)

type fixture struct {
	svc    *registry.Service
	db     *store.DB
	box    *secret.Box
	ctx    context.Context
	userID int64
}

func newFixture(t *testing.T, opts ...registry.Option) *fixture {
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
	svc := registry.New(db, box, log, &http.Client{}, append([]registry.Option{registry.WithTimeout(10 * time.Second)}, opts...)...)
	p := &auth.Principal{UserID: uid, UserName: "alice", TenantID: sandbox, TenantName: "sandbox"}
	return &fixture{svc: svc, db: db, box: box, ctx: auth.WithPrincipal(ctx, p), userID: uid}
}

// addRegistry registers a registry, lets sandbox use it and stores the
// user's credentials (none when user is empty).
func (f *fixture) addRegistry(t *testing.T, in registry.Input, user, password string) int64 {
	t.Helper()
	v, err := f.svc.Create(f.ctx, in)
	if err != nil {
		t.Fatalf("create registry %+v: %v", in, err)
	}
	q := f.db.Q()
	gits, regs, err := q.TenantLinks(f.ctx, sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetTenantLinks(f.ctx, sandbox, gits, append(regs, v.ID)); err != nil {
		t.Fatal(err)
	}
	if user != "" {
		sealed, err := f.box.Seal(password)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.SetRegistryCredential(f.ctx, f.userID, sandbox, v.ID, user, sealed, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return v.ID
}

func private(name, url string) registry.Input {
	host, port := "registry.example.com", 5000
	return registry.Input{Name: name, Host: host, PortNo: port, ServiceType: 3, APIURL: url, RegistryURL: url}
}

func wantKind(t *testing.T, err error, kind apperr.Kind) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind {
		t.Fatalf("error %v (%T), want an apperr of kind %d", err, err, kind)
	}
	return e
}

func TestCreateRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ok := private("ok", "https://registry.example.com")
	for name, mod := range map[string]func(in *registry.Input){
		"no name":             func(in *registry.Input) { in.Name = "" },
		"upper-case name":     func(in *registry.Input) { in.Name = "Reg" },
		"name ending in dash": func(in *registry.Input) { in.Name = "reg-" },
		"name with digit":     func(in *registry.Input) { in.Name = "1reg" },
		"no host":             func(in *registry.Input) { in.Host = "" },
		"host with scheme":    func(in *registry.Input) { in.Host = "https://r.example.com" },
		"port 0":              func(in *registry.Input) { in.PortNo = 0 },
		"port too big":        func(in *registry.Input) { in.PortNo = 70000 },
		"unknown type":        func(in *registry.Input) { in.ServiceType = 7 },
		"GitLab w/o project":  func(in *registry.Input) { in.ServiceType = 2 },
		"no api URL":          func(in *registry.Input) { in.APIURL = "" },
		"no registry URL":     func(in *registry.Input) { in.RegistryURL = "" },
		"ftp registry URL":    func(in *registry.Input) { in.RegistryURL = "ftp://r.example.com" },
	} {
		t.Run(name, func(t *testing.T) {
			in := ok
			mod(&in)
			_, err := f.svc.Create(f.ctx, in)
			wantKind(t, err, apperr.KindInvalid)
		})
	}
}

func TestCreateEditDelete(t *testing.T) {
	blocked := false
	f := newFixture(t, registry.WithInUse(registry.InUse{What: "notebook",
		Query: func(context.Context, store.Q, int64) ([]string, error) {
			if blocked {
				return []string{"#3"}, nil
			}
			return nil, nil
		}}))
	v, err := f.svc.Create(f.ctx, private("team-reg", "https://registry.example.com"))
	if err != nil || v.RegistryPath != "registry.example.com:5000" || v.ServiceTypeName != "PrivateDockerRegistry" {
		t.Fatalf("create = %+v, %v", v, err)
	}
	_, err = f.svc.Create(f.ctx, private("team-reg", "https://other.example.com"))
	wantKind(t, err, apperr.KindConflict)
	other, err := f.svc.Create(f.ctx, private("other", "https://other.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Edit(f.ctx, other.ID, private("team-reg", "https://other.example.com"))
	wantKind(t, err, apperr.KindConflict)
	_, err = f.svc.Edit(f.ctx, 1, private("hub", "https://hub.example.com"))
	wantKind(t, err, apperr.KindInvalid)
	wantKind(t, f.svc.Delete(f.ctx, 2), apperr.KindConflict)
	wantKind(t, f.svc.Delete(f.ctx, 1), apperr.KindConflict)

	if err := f.db.Q().SetTenantLinks(f.ctx, sandbox, []int64{1}, []int64{1, v.ID}); err != nil {
		t.Fatal(err)
	}
	if e := wantKind(t, f.svc.Delete(f.ctx, v.ID), apperr.KindConflict); !strings.Contains(e.Title, "tenant sandbox") {
		t.Errorf("delete while a tenant uses it: %q", e.Title)
	}
	blocked = true
	if e := wantKind(t, f.svc.Delete(f.ctx, other.ID), apperr.KindConflict); !strings.Contains(e.Title, "notebook #3") {
		t.Errorf("delete while a job uses it: %q", e.Title)
	}
	blocked = false
	if err := f.svc.Delete(f.ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Get(f.ctx, other.ID)
	wantKind(t, err, apperr.KindNotFound)
}

func TestImagesAndTags(t *testing.T) {
	f := newFixture(t)
	reg := registrytest.Serve(t, "bob", "pw")
	reg.Push(t, "team/app:v1", "team/app:v2", "base:latest", "a/b/c:1.0")
	id := f.addRegistry(t, private("local", reg.URL), "bob", "pw")

	imgs, err := f.svc.Images(f.ctx, id)
	if diff := cmp.Diff([]string{"a/b/c", "base", "team/app"}, imgs); err != nil || diff != "" {
		t.Errorf("images (-want +got), %v:\n%s", err, diff)
	}
	tags, err := f.svc.Tags(f.ctx, id, "team/app")
	if diff := cmp.Diff([]string{"v1", "v2"}, tags); err != nil || diff != "" {
		t.Errorf("tags (-want +got), %v:\n%s", err, diff)
	}
	if tags, err := f.svc.Tags(f.ctx, id, "a/b/c"); err != nil || len(tags) != 1 {
		t.Errorf("tags of a deep name = %v, %v", tags, err)
	}
	_, err = f.svc.Tags(f.ctx, id, "team/missing")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.svc.Tags(f.ctx, id, "Team/App")
	wantKind(t, err, apperr.KindInvalid)
	_, err = f.svc.Tags(f.ctx, id, "team/app:v1")
	wantKind(t, err, apperr.KindInvalid)

	wrong := f.addRegistry(t, private("wrong", reg.URL), "bob", "nope")
	_, err = f.svc.Images(f.ctx, wrong)
	if e := wantKind(t, err, apperr.KindInvalid); !strings.Contains(e.Title, "refused your credentials") {
		t.Errorf("wrong password: %q", e.Title)
	}
	_, err = f.svc.Tags(f.ctx, wrong, "team/app")
	wantKind(t, err, apperr.KindInvalid)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	down := f.addRegistry(t, private("down", closed), "", "")
	_, err = f.svc.Images(f.ctx, down)
	wantKind(t, err, apperr.KindBadGateway)

	_, err = f.svc.Images(f.ctx, 2) // ngc: not in sandbox
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.svc.Images(f.ctx, 77)
	wantKind(t, err, apperr.KindNotFound)
}

func TestImageRef(t *testing.T) {
	f := newFixture(t)
	id := f.addRegistry(t, private("local", "https://registry.example.com"), "", "")
	for name, tc := range map[string]struct {
		registry   int64
		image, tag string
		want       string
	}{
		"private registry":   {id, "team/app", "v1", "registry.example.com:5000/team/app:v1"},
		"default tag":        {id, "team/app", "", "registry.example.com:5000/team/app:latest"},
		"docker hub no host": {1, "pytorch/pytorch", "2.1", "pytorch/pytorch:2.1"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := f.svc.ImageRef(f.ctx, tc.registry, tc.image, tc.tag)
			if err != nil || got != tc.want {
				t.Errorf("ImageRef = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for name, tc := range map[string]struct {
		registry   int64
		image, tag string
		kind       apperr.Kind
	}{
		"no image":         {id, "", "v1", apperr.KindInvalid},
		"upper-case image": {id, "Team/App", "v1", apperr.KindInvalid},
		"tag in image":     {id, "team/app:v1", "", apperr.KindInvalid},
		"bad tag":          {id, "team/app", "v 1", apperr.KindInvalid},
		"other tenant's":   {2, "nvidia/pytorch", "1", apperr.KindNotFound},
		"unknown registry": {99, "a", "1", apperr.KindNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.ImageRef(f.ctx, tc.registry, tc.image, tc.tag)
			wantKind(t, err, tc.kind)
		})
	}
	def, err := f.svc.DefaultRegistryID(f.ctx)
	if err != nil || def != 1 {
		t.Errorf("DefaultRegistryID = %d, %v; want 1", def, err)
	}
}

func TestPullLogin(t *testing.T) {
	f := newFixture(t)
	withLogin := f.addRegistry(t, private("local", "https://registry.example.com"), "bob", "pw")
	anonymous := f.addRegistry(t, private("open", "https://registry.example.com"), "", "")
	server, user, password, ok, err := f.svc.PullLogin(f.ctx, withLogin)
	if err != nil || !ok || server != "registry.example.com:5000" || user != "bob" || password != "pw" {
		t.Errorf("PullLogin = %q %q %q %v, %v; want the host:port of the image reference and bob's login",
			server, user, password, ok, err)
	}
	if _, _, _, ok, err := f.svc.PullLogin(f.ctx, anonymous); ok || err != nil {
		t.Errorf("PullLogin without credentials = %v, %v; want anonymous", ok, err)
	}
	if _, _, _, _, err := f.svc.PullLogin(f.ctx, 2); err == nil {
		t.Error("PullLogin of another tenant's registry succeeded")
	}
}

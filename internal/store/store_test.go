package store_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
	"github.com/kamonohashi-go/kamonohashi/test/testenv"
)

var now = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// tenant is a valid new tenant on the seeded storage.
func tenant(name string) store.Tenant {
	return store.Tenant{Name: name, DisplayName: name, StorageID: 1, StorageBucket: name}
}

func TestMigrate(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			db := testenv.NewDB(t, engine) // migrated once already
			ctx := t.Context()

			current, latest, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			if latest < 1 || current != latest {
				t.Errorf("MigrationStatus = current %d, latest %d; want current == latest >= 1", current, latest)
			}

			var logged bytes.Buffer
			if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			if logged.Len() != 0 {
				t.Errorf("second Migrate applied migrations again:\n%s", logged.String())
			}
			roles, err := db.Q().ListRoles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(roles) != 4 {
				t.Errorf("after a second Migrate there are %d roles, want the 4 seeded once", len(roles))
			}
		})
	}
}

func TestSeeds(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			db := testenv.NewDB(t, engine)
			ctx := t.Context()
			q := db.Q()

			t.Run("the sandbox tenant uses storage 1, git 1 and registry 1", func(t *testing.T) {
				got, err := q.TenantByName(ctx, "sandbox")
				if err != nil {
					t.Fatal(err)
				}
				want := store.Tenant{
					ID: 1, Name: "sandbox", DisplayName: "sandbox", StorageID: 1, StorageBucket: "sandbox",
					DefaultGitID: store.NullInt(1), DefaultRegistryID: store.NullInt(1),
					Audit: store.Audit{CreatedBy: "system", ModifiedBy: "system"},
				}
				if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
					t.Errorf("sandbox (-want +got):\n%s", diff)
				}
				gits, regs, err := q.TenantLinks(ctx, got.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([][]int64{{1}, {1}}, [][]int64{gits, regs}); diff != "" {
					t.Errorf("sandbox links [gits registries] (-want +got):\n%s", diff)
				}
			})

			t.Run("storage 1 is the default storage", func(t *testing.T) {
				s, err := q.StorageByID(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if s.Name != "default" {
					t.Errorf("storage 1 is %q, want default", s.Name)
				}
			})

			t.Run("git 1 is GitHub and registry 1 is Docker Hub", func(t *testing.T) {
				gits, err := q.Gits(ctx)
				if err != nil {
					t.Fatal(err)
				}
				regs, err := q.Registries(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := []store.Named{{ID: 1, Name: "GitHub"}, {ID: 1, Name: "official-docker-hub"}}
				if diff := cmp.Diff(want, []store.Named{gits[0], regs[0]}); diff != "" {
					t.Errorf("first git and registry (-want +got):\n%s", diff)
				}
			})

			t.Run("the four common roles exist and only admins is a system role", func(t *testing.T) {
				roles, err := q.ListRoles(ctx)
				if err != nil {
					t.Fatal(err)
				}
				type role struct {
					Name     string
					System   bool
					Editable bool
				}
				var got []role
				for _, r := range roles {
					got = append(got, role{r.Name, r.IsSystemRole, !r.IsNotEditable})
				}
				want := []role{{"users", false, false}, {"researchers", false, false}, {"managers", false, false}, {"admins", true, false}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("roles (-want +got):\n%s", diff)
				}
			})

			t.Run("menus are granted to the matching roles", func(t *testing.T) {
				roles, err := q.ListRoles(ctx)
				if err != nil {
					t.Fatal(err)
				}
				byID := map[int64]store.Role{}
				for _, r := range roles {
					byID[r.ID] = r
				}
				maps, err := q.MenuRoles(ctx)
				if err != nil {
					t.Fatal(err)
				}
				granted := map[[2]string]bool{}
				for _, m := range maps {
					r := byID[m.RoleID]
					granted[[2]string{m.MenuCode, r.Name}] = true
					menu, ok := auth.MenuByCode(m.MenuCode)
					switch {
					case !ok:
						t.Errorf("seed grants unknown menu %q", m.MenuCode)
					case r.IsSystemRole && menu.Type != auth.MenuSystem:
						t.Errorf("system role %s is granted %s menu %s", r.Name, auth.MenuTypeNames[menu.Type], m.MenuCode)
					case !r.IsSystemRole && menu.Type != auth.MenuTenant:
						t.Errorf("tenant role %s is granted %s menu %s", r.Name, auth.MenuTypeNames[menu.Type], m.MenuCode)
					}
				}
				for _, want := range [][2]string{
					{"Data", "users"}, {"Training", "researchers"}, {"Notebook", "researchers"},
					{"TenantUser", "managers"}, {"Tenant", "admins"}, {"Menu", "admins"},
				} {
					if !granted[want] {
						t.Errorf("menu %s is not granted to %s", want[0], want[1])
					}
				}
				if granted[[2]string{"Training", "users"}] {
					t.Error("menu Training is granted to users, want researchers only")
				}
			})
		})
	}
}

// ignoreTimes leaves out the timestamps the seed takes from the clock.
var ignoreTimes = cmpopts.IgnoreFields(store.Audit{}, "CreatedAt", "ModifiedAt")

func TestConstraintErrors(t *testing.T) {
	cases := map[string]struct {
		insert      func(t *testing.T, q store.Q) error
		wantUnique  bool
		wantForeign bool
	}{
		"a duplicate tenant name is a unique violation": {
			insert: func(t *testing.T, q store.Q) error {
				if _, err := q.InsertTenant(t.Context(), tenant("team-a"), "test", now); err != nil {
					t.Fatal(err)
				}
				_, err := q.InsertTenant(t.Context(), tenant("team-a"), "test", now)
				return err
			},
			wantUnique: true,
		},
		"the seeded tenant's name is taken too": {
			insert: func(t *testing.T, q store.Q) error {
				_, err := q.InsertTenant(t.Context(), tenant("sandbox"), "test", now)
				return err
			},
			wantUnique: true,
		},
		"a tenant on a missing storage is a foreign-key violation": {
			insert: func(t *testing.T, q store.Q) error {
				tn := tenant("team-b")
				tn.StorageID = 999
				_, err := q.InsertTenant(t.Context(), tn, "test", now)
				return err
			},
			wantForeign: true,
		},
	}
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			for name, tc := range cases {
				t.Run(name, func(t *testing.T) {
					db := testenv.NewDB(t, engine)
					err := tc.insert(t, db.Q())
					if err == nil {
						t.Fatal("insert succeeded, want a constraint violation")
					}
					if !errors.Is(err, apperr.ErrConflict) {
						t.Errorf("error %v is not a conflict", err)
					}
					if got := store.IsUnique(err); got != tc.wantUnique {
						t.Errorf("IsUnique(%v) = %v, want %v", err, got, tc.wantUnique)
					}
					e, _ := apperr.As(err)
					if got := e != nil && e.Title == store.ErrForeignKey.Title; got != tc.wantForeign {
						t.Errorf("foreign-key error = %v for %v, want %v", got, err, tc.wantForeign)
					}
				})
			}
		})
	}
}

func TestIsUniqueOnOtherErrors(t *testing.T) {
	cases := map[string]error{
		"no error":                   nil,
		"no rows":                    store.ErrNoRows,
		"a plain error":              errors.New("already exists"),
		"a conflict of another kind": apperr.Conflict("dataset is in use"),
		"a foreign-key violation":    store.ErrForeignKey,
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			if store.IsUnique(err) {
				t.Errorf("IsUnique(%v) = true, want false", err)
			}
		})
	}
}

func TestInTx(t *testing.T) {
	errBoom := errors.New("boom")
	cases := map[string]struct {
		fnErr       error
		wantPresent bool
	}{
		"a function that fails leaves nothing behind": {fnErr: errBoom, wantPresent: false},
		"a function that succeeds commits its writes": {fnErr: nil, wantPresent: true},
	}
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			for name, tc := range cases {
				t.Run(name, func(t *testing.T) {
					db := testenv.NewDB(t, engine)
					ctx := t.Context()
					err := db.InTx(ctx, func(tx *store.Tx) error {
						if _, err := tx.Q().InsertTenant(ctx, tenant("in-tx"), "test", now); err != nil {
							t.Fatalf("insert in transaction: %v", err)
						}
						// The transaction sees its own write.
						if _, err := tx.Q().TenantByName(ctx, "in-tx"); err != nil {
							t.Fatalf("read back in transaction: %v", err)
						}
						return tc.fnErr
					})
					if !errors.Is(err, tc.fnErr) || (tc.fnErr == nil && err != nil) {
						t.Fatalf("InTx = %v, want %v", err, tc.fnErr)
					}
					_, err = db.Q().TenantByName(ctx, "in-tx")
					switch {
					case tc.wantPresent && err != nil:
						t.Errorf("tenant after commit: %v, want it present", err)
					case !tc.wantPresent && !errors.Is(err, store.ErrNoRows):
						t.Errorf("tenant after rollback: err = %v, want ErrNoRows", err)
					}
				})
			}
		})
	}
}

// TestJWTSecretOnce: replicas starting together on a fresh database agree on
// one signing secret, which stays the same afterwards.
func TestJWTSecretOnce(t *testing.T) {
	for _, engine := range testenv.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			db := testenv.NewDB(t, engine)
			const n = 8
			got := make([][]byte, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { got[i], errs[i] = db.JWTSecret(t.Context()) })
			}
			wg.Wait()
			later, err := db.JWTSecret(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if errs[i] != nil || !bytes.Equal(got[i], later) || len(later) != 32 {
					t.Errorf("caller %d: secret %x, %v; later %x", i, got[i], errs[i], later)
				}
			}
		})
	}
}

// TestInTxRetriesDeadlock: two transactions that lock two rows in opposite
// order deadlock on PostgreSQL; the victim is run again and both succeed.
func TestInTxRetriesDeadlock(t *testing.T) {
	if !slices.Contains(testenv.Engines(t), testenv.Postgres) {
		t.Skip("deadlocks between row locks happen on PostgreSQL only (SQLite writers take turns)")
	}
	db := testenv.NewDB(t, testenv.Postgres)
	ctx := t.Context()
	other, err := db.Q().InsertTenant(ctx, tenant("other"), "test", now)
	if err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int64
	var holding sync.WaitGroup // both hold their first row before taking the second
	holding.Add(2)
	run := func(first, second int64) error {
		return db.InTx(ctx, func(tx *store.Tx) error {
			n := tries.Add(1)
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET display_name = 'x' WHERE id = $1`, first); err != nil {
				return err
			}
			if n <= 2 {
				holding.Done()
				holding.Wait()
			}
			_, err := tx.ExecContext(ctx, `UPDATE tenants SET display_name = 'y' WHERE id = $1`, second)
			return err
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = run(1, other) })
	wg.Go(func() { errs[1] = run(other, 1) })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("InTx results %v, %v; want both to succeed", errs[0], errs[1])
	}
	// At least the victim ran again; a loaded machine can see the retry
	// deadlock once more, which InTx also absorbs.
	if got := tries.Load(); got < 3 {
		t.Errorf("%d runs of the two functions, want 3 or more (the deadlock victim again)", got)
	}
}

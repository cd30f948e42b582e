package identity

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// TenantView is a tenant in lists.
type TenantView struct {
	AuditView
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	StoragePath string `json:"storagePath"`
}

// TenantDetails adds what the tenant may use.
type TenantDetails struct {
	TenantView
	DefaultGitID                  *int64  `json:"defaultGitId"`
	GitIDs                        []int64 `json:"gitIds"`
	DefaultRegistryID             *int64  `json:"defaultRegistryId"`
	RegistryIDs                   []int64 `json:"registryIds"`
	StorageID                     int64   `json:"storageId"`
	AvailableInfiniteTimeNotebook bool    `json:"availableInfiniteTimeNotebook"`
	UserGroupIDs                  []int64 `json:"userGroupIds"`
}

// TenantInput is the body of tenant create (TenantName) and edit.
type TenantInput struct {
	TenantName                    string  `json:"tenantName,omitempty"`
	DisplayName                   string  `json:"displayName"`
	DefaultGitID                  *int64  `json:"defaultGitId,omitempty"`
	GitIDs                        []int64 `json:"gitIds"`
	DefaultRegistryID             *int64  `json:"defaultRegistryId,omitempty"`
	RegistryIDs                   []int64 `json:"registryIds"`
	StorageID                     int64   `json:"storageId"`
	AvailableInfiniteTimeNotebook bool    `json:"availableInfiniteTimeNotebook"`
	UserGroupIDs                  []int64 `json:"userGroupIds,omitempty"`
}

// TenantDeleteOutput is what the original returns on delete.
type TenantDeleteOutput struct {
	ContainerWarnMsg *string `json:"containerWarnMsg"`
}

func (s *Service) tenantView(ctx context.Context, q store.Q, t store.Tenant) (TenantView, error) {
	st, err := q.StorageByID(ctx, t.StorageID)
	if err != nil {
		return TenantView{}, err
	}
	server := st.ServerAddress
	if server == "" {
		server = st.Name
	}
	return TenantView{AuditView: auditView(t.Audit), ID: t.ID, Name: t.Name, DisplayName: t.DisplayName,
		StoragePath: server + "/" + t.StorageBucket}, nil
}

// ListTenants returns every tenant.
func (s *Service) ListTenants(ctx context.Context) ([]TenantView, error) {
	q := s.db.Q()
	ts, err := q.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TenantView, 0, len(ts))
	for _, t := range ts {
		v, err := s.tenantView(ctx, q, t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetTenant returns one tenant's details.
func (s *Service) GetTenant(ctx context.Context, id int64) (TenantDetails, error) {
	return s.tenantDetails(ctx, s.db.Q(), id)
}

// CurrentTenant returns the caller's tenant.
func (s *Service) CurrentTenant(ctx context.Context) (TenantDetails, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantDetails{}, err
	}
	return s.tenantDetails(ctx, s.db.Q(), p.TenantID)
}

func (s *Service) tenantDetails(ctx context.Context, q store.Q, id int64) (TenantDetails, error) {
	t, err := q.TenantByID(ctx, id)
	if err != nil {
		return TenantDetails{}, notFound(err, "tenant", id)
	}
	v, err := s.tenantView(ctx, q, t)
	if err != nil {
		return TenantDetails{}, err
	}
	gits, regs, err := q.TenantLinks(ctx, id)
	if err != nil {
		return TenantDetails{}, err
	}
	return TenantDetails{TenantView: v, GitIDs: nonNil(gits), RegistryIDs: nonNil(regs), StorageID: t.StorageID,
		DefaultGitID: nullID(t.DefaultGitID.Int64, t.DefaultGitID.Valid), UserGroupIDs: []int64{},
		DefaultRegistryID:             nullID(t.DefaultRegistryID.Int64, t.DefaultRegistryID.Valid),
		AvailableInfiniteTimeNotebook: t.AvailableInfiniteTimeNotebook}, nil
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// checkTenantInput validates the shared part of create and edit against the
// git endpoints, registries and storages that exist, and fills defaults.
func checkTenantInput(ctx context.Context, q store.Q, in *TenantInput) error {
	if err := checkDisplayName(in.DisplayName, true); err != nil {
		return err
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if len(in.UserGroupIDs) > 0 {
		return apperr.NotFound("user group %d is not found", in.UserGroupIDs[0]).
			WithDetail("LDAP user groups are not supported; leave userGroupIds empty")
	}
	if _, err := q.StorageByID(ctx, in.StorageID); err != nil {
		return notFound(err, "storage", in.StorageID)
	}
	gits, err := q.Gits(ctx)
	if err != nil {
		return err
	}
	regs, err := q.Registries(ctx)
	if err != nil {
		return err
	}
	if in.GitIDs, in.DefaultGitID, err = checkLinks("git", in.GitIDs, in.DefaultGitID, gits); err != nil {
		return err
	}
	in.RegistryIDs, in.DefaultRegistryID, err = checkLinks("registry", in.RegistryIDs, in.DefaultRegistryID, regs)
	return err
}

func checkLinks(kind string, ids []int64, def *int64, existing []store.Named) ([]int64, *int64, error) {
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, nil, apperr.Invalid("%sIds is required", kind).WithDetail("select at least one %s", kind)
	}
	for _, id := range ids {
		if !slices.ContainsFunc(existing, func(n store.Named) bool { return n.ID == id }) {
			return nil, nil, apperr.NotFound("%s %d is not found", kind, id)
		}
	}
	if def == nil || *def == 0 {
		return ids, &ids[0], nil
	}
	if !slices.Contains(ids, *def) {
		return nil, nil, apperr.Conflict("default %s %d is not among the selected %ss", kind, *def, kind)
	}
	return ids, def, nil
}

// TenantHook is told, after the fact, of tenants created and deleted: the
// cluster management gives them their place in the runner.
type TenantHook interface {
	TenantCreated(ctx context.Context, name string)
	TenantDeleted(ctx context.Context, name string)
}

// SetTenantHook sets who is told of tenants created and deleted.
func (s *Service) SetTenantHook(h TenantHook) { s.tenantHook = h }

// CreateTenant creates a tenant with the gits, registries and storage given.
func (s *Service) CreateTenant(ctx context.Context, in TenantInput) (TenantView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantView{}, err
	}
	if err := checkTenantName(in.TenantName); err != nil {
		return TenantView{}, err
	}
	var out TenantView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		if err := checkTenantInput(ctx, q, &in); err != nil {
			return err
		}
		if _, err := q.TenantByName(ctx, in.TenantName); err == nil {
			return apperr.Conflict("tenant %s already exists", in.TenantName)
		} else if !errors.Is(err, store.ErrNoRows) {
			return err
		}
		t := store.Tenant{Name: in.TenantName, DisplayName: in.DisplayName, StorageID: in.StorageID,
			StorageBucket: in.TenantName, DefaultGitID: store.NullInt(*in.DefaultGitID),
			DefaultRegistryID:             store.NullInt(*in.DefaultRegistryID),
			AvailableInfiniteTimeNotebook: in.AvailableInfiniteTimeNotebook}
		id, err := q.InsertTenant(ctx, t, p.UserName, s.now())
		if store.IsUnique(err) {
			return apperr.Conflict("tenant %s already exists", in.TenantName)
		} else if err != nil {
			return err
		}
		if err := q.SetTenantLinks(ctx, id, in.GitIDs, in.RegistryIDs); err != nil {
			return err
		}
		// Inside the transaction: a tenant whose storage cannot be prepared
		// is not created.
		if err := s.prepareStorage(ctx, in.StorageID, in.TenantName); err != nil {
			return err
		}
		created, err := q.TenantByID(ctx, id)
		if err != nil {
			return err
		}
		out, err = s.tenantView(ctx, q, created)
		return err
	})
	if err == nil && s.tenantHook != nil {
		s.tenantHook.TenantCreated(ctx, out.Name)
	}
	return out, err
}

// EditTenant changes what a tenant may use; its name never changes.
func (s *Service) EditTenant(ctx context.Context, id int64, in TenantInput) (TenantView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantView{}, err
	}
	var out TenantView
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		t, err := q.TenantByID(ctx, id)
		if err != nil {
			return notFound(err, "tenant", id)
		}
		if in.TenantName != "" && in.TenantName != t.Name {
			return apperr.Invalid("a tenant cannot be renamed").WithDetail("change its displayName instead")
		}
		if err := checkTenantInput(ctx, q, &in); err != nil {
			return err
		}
		if in.StorageID != t.StorageID {
			has, err := q.TenantHasFiles(ctx, id)
			if err != nil {
				return err
			}
			if has {
				return apperr.Conflict("tenant %s has files on storage %d", t.Name, t.StorageID).
					WithDetail("the server does not move files between storages; keep the storage, or copy the files and delete the data first")
			}
			if err := s.prepareStorage(ctx, in.StorageID, t.Name); err != nil {
				return err
			}
		}
		t.DisplayName, t.StorageID = in.DisplayName, in.StorageID
		t.DefaultGitID, t.DefaultRegistryID = store.NullInt(*in.DefaultGitID), store.NullInt(*in.DefaultRegistryID)
		t.AvailableInfiniteTimeNotebook = in.AvailableInfiniteTimeNotebook
		if err := q.UpdateTenant(ctx, t, p.UserName, s.now()); err != nil {
			return err
		}
		if err := q.SetTenantLinks(ctx, id, in.GitIDs, in.RegistryIDs); err != nil {
			return err
		}
		if t, err = q.TenantByID(ctx, id); err != nil {
			return err
		}
		out, err = s.tenantView(ctx, q, t)
		return err
	})
	return out, err
}

// EditCurrentTenant lets a tenant manager edit the tenant he is connected to.
func (s *Service) EditCurrentTenant(ctx context.Context, in TenantInput) (TenantView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantView{}, err
	}
	return s.EditTenant(ctx, p.TenantID, in)
}

// DeleteTenant deletes a tenant: never sandbox, never the caller's current
// tenant. Users left with no tenant keep their account but cannot log in
// until an administrator adds them to one.
func (s *Service) DeleteTenant(ctx context.Context, id int64) (TenantDeleteOutput, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return TenantDeleteOutput{}, err
	}
	var name string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		t, err := q.TenantByID(ctx, id)
		if err != nil {
			return notFound(err, "tenant", id)
		}
		if t.Name == SandboxName {
			return apperr.Invalid("tenant %s cannot be deleted", SandboxName)
		}
		if t.ID == p.TenantID {
			return apperr.Invalid("you cannot delete the tenant you are connected to").
				WithDetail("switch to another tenant first")
		}
		members, err := q.TenantMemberIDs(ctx, id)
		if err != nil {
			return err
		}
		if err := q.DeleteTenant(ctx, id); err != nil {
			return err
		}
		// Give users whose default it was another default, when they have one.
		for _, uid := range members {
			ms, err := q.Memberships(ctx, uid)
			if err != nil {
				return err
			}
			u, err := q.UserByID(ctx, uid)
			if err != nil {
				return err
			}
			if !u.DefaultTenantID.Valid && len(ms) > 0 {
				if err := q.SetDefaultTenant(ctx, uid, ms[0].ID, p.UserName, s.now()); err != nil {
					return err
				}
			}
		}
		s.log.Info("tenant deleted", "tenant", t.Name, "by", p.UserName)
		name = t.Name
		return nil
	})
	if err == nil && s.tenantHook != nil {
		s.tenantHook.TenantDeleted(ctx, name)
	}
	return TenantDeleteOutput{}, err
}

func (s *Service) prepareStorage(ctx context.Context, storageID int64, tenant string) error {
	if s.tenantStorage == nil {
		return nil
	}
	return s.tenantStorage(ctx, storageID, tenant)
}

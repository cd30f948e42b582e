package cluster

import (
	"context"
	"errors"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// QuotaInput is one tenant's quota in POST /admin/quotas
// (ClusterApiModels.QuotaInputModel): 0 = unlimited.
type QuotaInput struct {
	TenantID int64 `json:"tenantId"`
	CPU      int   `json:"cpu"`
	Memory   int   `json:"memory"`
	GPU      int   `json:"gpu"`
}

// QuotaView is a tenant's quota (ClusterApiModels.QuotaOutputModel).
type QuotaView struct {
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	CPU        int    `json:"cpu"`
	Memory     int    `json:"memory"`
	GPU        int    `json:"gpu"`
}

func quotaView(t store.Tenant) QuotaView {
	return QuotaView{TenantID: t.ID, TenantName: t.Name, CPU: int(t.LimitCPU.Int64), Memory: int(t.LimitMemory.Int64),
		GPU: int(t.LimitGPU.Int64)}
}

// Quotas lists every tenant's quota.
func (s *Service) Quotas(ctx context.Context) ([]QuotaView, error) {
	ts, err := s.db.Q().ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]QuotaView, 0, len(ts))
	for _, t := range ts {
		out = append(out, quotaView(t))
	}
	return out, nil
}

// TenantQuota is the quota of the caller's tenant.
func (s *Service) TenantQuota(ctx context.Context) (QuotaView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return QuotaView{}, err
	}
	t, err := s.db.Q().TenantByID(ctx, p.TenantID)
	if err != nil {
		return QuotaView{}, err
	}
	return quotaView(t), nil
}

// SetQuotas sets the quotas of the tenants listed, all or none, and applies
// each changed one to the runner. It returns every tenant's quota.
func (s *Service) SetQuotas(ctx context.Context, in []QuotaInput) ([]QuotaView, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, qi := range in {
		if seen[qi.TenantID] {
			return nil, apperr.Invalid("tenant %d is listed twice", qi.TenantID)
		}
		seen[qi.TenantID] = true
		if err := CheckQuota(qi.CPU, qi.Memory, qi.GPU); err != nil {
			return nil, err
		}
	}
	var changed []store.Tenant
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q := tx.Q()
		changed = changed[:0]
		for _, qi := range in {
			t, err := q.TenantByID(ctx, qi.TenantID)
			if errors.Is(err, store.ErrNoRows) {
				return apperr.NotFound("tenant %d is not found", qi.TenantID)
			} else if err != nil {
				return err
			}
			if v := quotaView(t); v.CPU == qi.CPU && v.Memory == qi.Memory && v.GPU == qi.GPU {
				continue
			}
			if err := q.SetTenantQuota(ctx, t.ID, qi.CPU, qi.Memory, qi.GPU, p.UserName, s.now()); err != nil {
				return err
			}
			t.LimitCPU, t.LimitMemory, t.LimitGPU = store.NullInt(int64(qi.CPU)), store.NullInt(int64(qi.Memory)), store.NullInt(int64(qi.GPU))
			changed = append(changed, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range changed {
		if err := s.runner.ApplyTenant(ctx, tenantSetting(t)); err != nil {
			s.log.Warn("cluster: the runner did not take the quota; retrying in the background", "tenant", t.Name, "error", err)
			s.wantSync()
		}
	}
	s.log.Info("cluster: quotas set", "tenants", len(changed), "by", p.UserName)
	return s.Quotas(ctx)
}

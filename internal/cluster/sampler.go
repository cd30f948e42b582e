package cluster

import (
	"context"

	"github.com/kamonohashi-go/kamonohashi/internal/store"
)

// sampleLoop is the resource monitor (the original's ResourceMonitorTimer):
// a first sample shortly after start, then one every sampleEvery.
func (s *Service) sampleLoop(ctx context.Context) {
	wait := s.firstSample
	for sleep(ctx, wait) {
		if err := s.SampleNow(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("cluster: resource sample failed", "error", err)
		}
		wait = s.sampleEvery
	}
}

// SampleNow records the runner's nodes and the jobs on each in one
// transaction; jobs not yet placed go under a node row with an empty name.
func (s *Service) SampleNow(ctx context.Context) error {
	sn, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	nodes := make([]store.SampleNode, 0, len(sn.nodes)+1)
	for _, n := range sn.nodes {
		nodes = append(nodes, store.SampleNode{Name: n.Name, CPU: n.Capacity.CPU, Memory: n.Capacity.MemoryGB, GPU: n.Capacity.GPU})
	}
	unplaced := store.SampleNode{}
	for _, a := range sn.allocs {
		c := sn.container(a)
		row := store.SampleContainer{TenantID: c.TenantID, TenantName: c.TenantName, Name: c.Name,
			CPU: a.Resources.CPU, Memory: a.Resources.MemoryGB, GPU: a.Resources.GPU, Status: c.Status}
		i := -1
		for j := range nodes {
			if a.Node != "" && nodes[j].Name == a.Node {
				i = j
			}
		}
		if i < 0 {
			unplaced.Containers = append(unplaced.Containers, row)
			continue
		}
		nodes[i].Containers = append(nodes[i].Containers, row)
	}
	if len(unplaced.Containers) > 0 {
		nodes = append(nodes, unplaced)
	}
	at := s.now().UTC()
	return s.db.InTx(ctx, func(tx *store.Tx) error { return tx.Q().InsertSample(ctx, at, nodes) })
}

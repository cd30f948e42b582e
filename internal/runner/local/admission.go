package local

import (
	"fmt"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// pool is what the machine has and what running jobs hold.
//
// Queue policy: jobs wait in submission order. Walking the queue, each job
// that cannot start reserves what it asks for; a later job starts only in
// what is free beyond those reservations. So a small job may overtake a
// waiting GPU job on CPUs, but never takes a GPU (or cores, or memory)
// that an earlier waiting job is waiting for: no job waits forever behind
// later ones.
type pool struct {
	capacity runner.Resources
	gpus     []runner.GPU
	used     runner.Resources
	gpuUsed  []bool // by position in gpus
}

func newPool(cpu, memGB int, gpus []runner.GPU) *pool {
	return &pool{capacity: runner.Resources{CPU: cpu, MemoryGB: memGB, GPU: len(gpus)},
		gpus: gpus, gpuUsed: make([]bool, len(gpus))}
}

func (p *pool) free() runner.Resources {
	return runner.Resources{CPU: p.capacity.CPU - p.used.CPU, MemoryGB: p.capacity.MemoryGB - p.used.MemoryGB,
		GPU: p.capacity.GPU - p.used.GPU}
}

// unschedulable says why r can never fit on this machine, or nil.
func (p *pool) unschedulable(r runner.Resources) error {
	for _, d := range dims(r, p.capacity) {
		if d.want > d.have {
			return fmt.Errorf("%w: asks for %d %s, this machine has %d", runner.ErrUnschedulable, d.want, d.unit, d.have)
		}
	}
	return nil
}

// take allocates r, which must fit, and returns the GPUs it gets.
func (p *pool) take(r runner.Resources) []runner.GPU {
	p.used.CPU += r.CPU
	p.used.MemoryGB += r.MemoryGB
	p.used.GPU += r.GPU
	var got []runner.GPU
	for i := range p.gpus {
		if len(got) == r.GPU {
			break
		}
		if !p.gpuUsed[i] {
			p.gpuUsed[i] = true
			got = append(got, p.gpus[i])
		}
	}
	return got
}

// hold marks resources of a job found running after a restart as used.
func (p *pool) hold(r runner.Resources, gpus []runner.GPU) {
	p.used.CPU += r.CPU
	p.used.MemoryGB += r.MemoryGB
	p.used.GPU += len(gpus)
	for _, g := range gpus {
		for i := range p.gpus {
			if p.gpus[i].Index == g.Index {
				p.gpuUsed[i] = true
			}
		}
	}
}

// give returns what a job held.
func (p *pool) give(r runner.Resources, gpus []runner.GPU) {
	p.used.CPU -= r.CPU
	p.used.MemoryGB -= r.MemoryGB
	p.used.GPU -= len(gpus)
	for _, g := range gpus {
		for i := range p.gpus {
			if p.gpus[i].Index == g.Index {
				p.gpuUsed[i] = false
			}
		}
	}
}

type dim struct {
	unit       string
	want, have int
}

func dims(want, have runner.Resources) []dim {
	return []dim{{"GPU", want.GPU, have.GPU}, {"CPU cores", want.CPU, have.CPU}, {"GiB of memory", want.MemoryGB, have.MemoryGB}}
}

// schedule walks the queue in order and returns which jobs start now (in
// order) and, for the others, why they wait.
func (p *pool) schedule(queue []runner.Resources) (start []int, reasons []string) {
	reasons = make([]string, len(queue))
	var reserved runner.Resources
	for i, r := range queue {
		free := p.free()
		beyond := runner.Resources{CPU: free.CPU - reserved.CPU, MemoryGB: free.MemoryGB - reserved.MemoryGB,
			GPU: free.GPU - reserved.GPU}
		if fitsIn(r, beyond) {
			p.used.CPU += r.CPU // provisional, so later jobs see it; take() redoes it
			p.used.MemoryGB += r.MemoryGB
			p.used.GPU += r.GPU
			start = append(start, i)
			continue
		}
		reasons[i] = "waiting behind earlier jobs in the queue"
		for _, d := range dims(r, free) {
			if d.want > 0 && d.want > d.have {
				reasons[i] = fmt.Sprintf("waiting for %d %s: %d of %d free", d.want, d.unit, max(d.have, 0), capOf(p.capacity, d.unit))
				break
			}
		}
		reserved.CPU += r.CPU
		reserved.MemoryGB += r.MemoryGB
		reserved.GPU += r.GPU
	}
	for _, i := range start { // undo the provisional holds
		p.used.CPU -= queue[i].CPU
		p.used.MemoryGB -= queue[i].MemoryGB
		p.used.GPU -= queue[i].GPU
	}
	return start, reasons
}

// fitsIn: every dimension the job asks for is within what is left.
func fitsIn(r, left runner.Resources) bool {
	for _, d := range dims(r, left) {
		if d.want > 0 && d.want > d.have {
			return false
		}
	}
	return true
}

func capOf(c runner.Resources, unit string) int {
	for _, d := range dims(c, c) {
		if d.unit == unit {
			return d.have
		}
	}
	return 0
}

package local

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

func TestScheduleNeverLetsLaterJobsTakeWhatEarlierOnesWaitFor(t *testing.T) {
	gpus := []runner.GPU{{Index: 0}, {Index: 1}}
	res := func(cpu, mem, gpu int) runner.Resources { return runner.Resources{CPU: cpu, MemoryGB: mem, GPU: gpu} }
	tests := map[string]struct {
		used        runner.Resources
		queue       []runner.Resources
		wantStart   []int
		wantReasons []string
	}{
		"all fit": {queue: []runner.Resources{res(1, 1, 1), res(1, 1, 1)}, wantStart: []int{0, 1},
			wantReasons: []string{"", ""}},
		"a CPU job overtakes a waiting GPU job": {used: res(1, 1, 2),
			queue: []runner.Resources{res(1, 1, 1), res(1, 1, 0)}, wantStart: []int{1},
			wantReasons: []string{"waiting for 1 GPU: 0 of 2 free", ""}},
		"a later GPU job does not take the GPU an earlier job waits for": {used: res(7, 1, 1),
			queue:       []runner.Resources{res(2, 1, 1), res(1, 1, 1)},
			wantReasons: []string{"waiting for 2 CPU cores: 1 of 8 free", "waiting behind earlier jobs in the queue"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPool(8, 16, gpus)
			p.hold(tc.used, gpus[:tc.used.GPU])
			start, reasons := p.schedule(tc.queue)
			if diff := cmp.Diff(tc.wantStart, start); diff != "" {
				t.Errorf("start (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantReasons, reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if p.used != tc.used {
				t.Errorf("schedule changed the pool: %+v", p.used)
			}
		})
	}
}

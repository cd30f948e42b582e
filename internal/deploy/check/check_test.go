package check

import (
	"strings"
	"testing"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/deploy/config"
)

func TestJudgeAgainstTheGuidesMinimums(t *testing.T) {
	good := Facts{OS: "ubuntu 22.04", OSName: "Ubuntu 22.04", Arch: "x86_64", CPUs: 4, MemKB: 8 * kbPerGiB, VarLibKB: 20 * kbPerGiB,
		HasNvidia: true, GPU: "NVIDIA A100, 40960 MiB, 550.54", Listening: map[int]bool{22: true}}
	kqi := config.Host{Name: "kqi", Roles: []config.Role{config.RoleKamonohashi}}
	gpu := config.Host{Name: "gpu1", Roles: []config.Role{config.RoleCompute}, GPU: true}
	master := config.Host{Name: "m", Roles: []config.Role{config.RoleMaster}}
	for name, tc := range map[string]struct {
		host config.Host
		edit func(*Facts)
		skew time.Duration
		want []string
	}{
		"a machine that meets the table": {host: kqi, edit: func(*Facts) {}},
		"too few cores for the web system": {host: kqi, edit: func(f *Facts) { f.CPUs = 2 },
			want: []string{"FAIL kqi: 2 CPU cores; kamonohashi needs at least 4"}},
		"too little /var/lib for the web system": {host: kqi, edit: func(f *Facts) { f.VarLibKB = 5 * kbPerGiB },
			want: []string{"FAIL kqi: 5.0 GiB free under /var/lib; kamonohashi needs at least 10 GB"}},
		"MemTotal a little under 8 GiB is 8 GB": {host: kqi, edit: func(f *Facts) { f.MemKB = 8*kbPerGiB - 200*1024 }},
		"a GPU node without the driver": {host: gpu, edit: func(f *Facts) { f.HasNvidia = false },
			want: []string{"FAIL gpu1: GPU node without nvidia-smi"}},
		"a clock that is off": {host: master, edit: func(*Facts) {}, skew: 42 * time.Second,
			want: []string{"FAIL m: clock differs from this host's by 42s"}},
		"the API port taken": {host: master, edit: func(f *Facts) { f.Listening[6443] = true },
			want: []string{"FAIL m: port 6443 is already in use"}},
		"the API port held by our k3s": {host: master, edit: func(f *Facts) { f.Listening[6443] = true; f.K3s = "k3s version v1.31.4+k3s1" }},
		"names the host cannot resolve": {host: master, edit: func(f *Facts) { f.Unresolved = []string{"kqi", "gpu1"} },
			want: []string{"WARN m: cannot resolve kqi, gpu1"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := good
			f.Listening = map[int]bool{22: true}
			tc.edit(&f)
			ps := Judge(tc.host, f, tc.skew)
			if len(ps) != len(tc.want) {
				t.Fatalf("problems %v, want %v", ps, tc.want)
			}
			for i, p := range ps {
				if !strings.HasPrefix(p.String(), tc.want[i]) {
					t.Errorf("problem %q, want %q", p, tc.want[i])
				}
			}
		})
	}
}

func TestParseFacts(t *testing.T) {
	f, err := ParseFacts("os=debian 12\nos_name=Debian GNU/Linux 12 (bookworm)\ncpus=2\nmem_kb=2048000\nlisten=0016 192B \nunresolved=gpu9\nepoch=1700000000\n")
	if err != nil || f.CPUs != 2 || !f.Listening[22] || !f.Listening[6443] || f.Unresolved[0] != "gpu9" || f.Epoch != 1700000000 {
		t.Errorf("facts %+v (%v)", f, err)
	}
}

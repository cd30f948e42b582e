package local

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// detectCapacity is the CPU cores and GiB of memory of this machine, or of
// the cgroup we run in when that is smaller.
func detectCapacity() (cpu, memGB int) {
	cpu = runtime.NumCPU() // honours the affinity mask
	if q := cgroupCPUs(); q > 0 && q < cpu {
		cpu = q
	}
	mem := memTotal()
	if l := cgroupMemory(); l > 0 && l < mem {
		mem = l
	}
	return cpu, int(mem >> 30)
}

func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cgroupMemory is our cgroup's memory limit (v2 memory.max, v1
// memory.limit_in_bytes); 0 when unlimited or unknown.
func cgroupMemory() int64 {
	for _, p := range cgroupFiles("memory", "memory.max", "memory.limit_in_bytes") {
		if b, err := os.ReadFile(p); err == nil {
			n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if err == nil && n < 1<<60 {
				return n
			}
		}
	}
	return 0
}

// cgroupCPUs is our cgroup's CPU quota in whole cores (at least 1); 0 when
// unlimited or unknown.
func cgroupCPUs() int {
	for _, p := range cgroupFiles("cpu", "cpu.max", "") {
		if b, err := os.ReadFile(p); err == nil {
			f := strings.Fields(string(b))
			if len(f) == 2 && f[0] != "max" {
				q, err1 := strconv.Atoi(f[0])
				per, err2 := strconv.Atoi(f[1])
				if err1 == nil && err2 == nil && per > 0 {
					return max(q/per, 1)
				}
			}
		}
	}
	return 0
}

// cgroupFiles is where a controller's file of our cgroup is: the v2 name in
// the unified hierarchy and, when v1 is given, under the v1 controller.
func cgroupFiles(controller, v2, v1 string) []string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			out = append(out, filepath.Join(cgroupRoot, f[2], v2))
		} else if v1 != "" && strings.Contains(","+f[1]+",", ","+controller+",") {
			out = append(out, filepath.Join(cgroupRoot, controller, f[2], v1))
		}
	}
	return out
}

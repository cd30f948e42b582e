package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
	"github.com/kamonohashi-go/kamonohashi/internal/runner"
)

// runMain runs the user's command to its end (or until canceled), then
// ends whatever it left behind, and says how it went.
func (s *supervisor) runMain() (jobcontract.Result, runner.Phase, string) {
	j := s.rec.Job
	cg := s.cgroup()
	oomBefore, oomCounted := ownOOMKills()

	pr, pw, err := os.Pipe()
	if err != nil {
		return jobcontract.Result{ExitCode: -1, Error: err.Error()}, runner.Failed, "start: " + err.Error()
	}
	cmd := exec.Command("bash", "-c", j.Spec.Command)
	cmd.Dir = j.Layout.WorkDir(j.Spec)
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cg != nil {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cg.fd
	}
	drained := make(chan struct{})
	go func() { // the only copy of the output: pipe → log file (and followers)
		buf := make([]byte, 64<<10)
		_, _ = io.CopyBuffer(s.logs, pr, buf)
		close(drained)
	}()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		s.logs.Printf("cannot start the command: %v", err)
		return jobcontract.Result{ExitCode: -1, Error: err.Error()}, runner.Failed, "start: " + err.Error()
	}
	res := jobcontract.Result{Started: time.Now()}
	s.event(false, "Started", "the command runs as process %d", cmd.Process.Pid)
	s.setStatus(func(st *runner.Status) { st.Phase, st.Started = runner.Running, res.Started })

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-s.canceled:
		signalTree(cmd.Process.Pid, syscall.SIGTERM)
		t := time.NewTimer(killGrace)
		select {
		case err = <-waited:
		case <-t.C:
			if cg == nil || !cg.kill() {
				signalTree(cmd.Process.Pid, syscall.SIGKILL)
			}
			err = <-waited
		}
		t.Stop()
	}
	// The command has ended; so must everything it started.
	var cgKill func() bool
	if cg != nil {
		cgKill = cg.kill
	}
	killTree(cmd.Process.Pid, killGrace, cgKill)
	select {
	case <-drained:
	case <-time.After(killGrace): // a writer we could not end holds the pipe
	}
	pr.Close()

	res.ExitCode, res.Signal = exitStatus(cmd, err)
	oom := false
	if cg != nil {
		oom = cg.oomKills() > 0
		if err := cg.remove(); err != nil {
			s.event(true, "CgroupNotRemoved", "%v", err)
		}
	} else if after, ok := ownOOMKills(); ok && oomCounted && after > oomBefore && (res.Signal == "killed" || res.ExitCode == 137) {
		oom = true
	}
	switch {
	case s.isCanceled():
		res.Canceled = true
		return res, runner.Canceled, "canceled"
	case oom:
		res.OOMKilled = true
		return res, runner.OOMKilled, fmt.Sprintf("the memory limit of %d GiB killed the command", j.Spec.Resources.MemoryGB)
	case res.ExitCode == 0:
		return res, runner.Succeeded, ""
	case res.Signal != "":
		return res, runner.Failed, "the command was killed by signal " + res.Signal
	default:
		return res, runner.Failed, fmt.Sprintf("the command exited with code %d", res.ExitCode)
	}
}

// exitStatus is the shell's view: the exit code, or 128+signal.
func exitStatus(cmd *exec.Cmd, err error) (int, string) {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, ""
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return cmd.ProcessState.ExitCode(), ""
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal().String()
	}
	return ws.ExitStatus(), ""
}

// cgroup makes the job's cgroup, or records why its limits are not
// enforced.
func (s *supervisor) cgroup() *jobCgroup {
	r := s.rec.Job.Spec.Resources
	if r.MemoryGB == 0 && r.CPU == 0 {
		return nil
	}
	why := s.rec.NoCgroup
	if s.rec.CgroupParent != "" {
		cg, err := newJobCgroup(s.rec.CgroupParent, "kqi-"+s.rec.Job.Spec.Key, r)
		if err == nil {
			s.event(false, "Limits", "memory limited to %d GiB and CPU to %d cores by cgroup %s", r.MemoryGB, r.CPU, cg.dir)
			return cg
		}
		why = err.Error()
	}
	s.event(true, "LimitsNotEnforced", "memory limit not enforced: %s", why)
	return nil
}

// env is the command's environment: a few of ours, then the spec's, then
// the layout and GPU variables, which the spec cannot override.
func (s *supervisor) env() []string {
	j := s.rec.Job
	m := map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			m[k] = v
		}
	}
	m["COLUMNS"] = "200"
	for k, v := range j.Spec.Env {
		if k != "" {
			m[k] = v
		}
	}
	for k, v := range j.Layout.Env() {
		m[k] = v
	}
	m["PYTHONUNBUFFERED"], m["LC_ALL"], m["LANG"] = "true", "C.UTF-8", "C.UTF-8"
	ids := strings.Join(gpuIDs(s.launch.GPUs), ",")
	m["CUDA_VISIBLE_DEVICES"], m["CUDA_DEVICE_ORDER"] = ids, "PCI_BUS_ID"
	m["NVIDIA_VISIBLE_DEVICES"] = firstNonEmpty(ids, "none")
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

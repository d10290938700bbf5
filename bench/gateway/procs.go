package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fleet is every process the harness started and every cleanup it owes.
type fleet struct {
	work     string
	procs    []*proc
	cleanups []func() // run last to first
}

// proc is one server process, started in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

// start runs argv with env added, its output in work/<name>.log. The
// process gets its own process group (stopped as a whole) and SIGKILL if
// the harness dies first.
func (f *fleet) start(name string, env []string, argv ...string) (*proc, error) {
	logPath := filepath.Join(f.work, name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	f.procs = append(f.procs, p)
	return p, nil
}

// pid is the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM to the process group, then SIGKILL after 5 s.
func (p *proc) stop() {
	pgid := p.pid()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every process, last started first, then runs the cleanups.
func (f *fleet) stopAll() {
	for i := len(f.procs) - 1; i >= 0; i-- {
		f.procs[i].stop()
	}
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// dumpLogs prints the end of every process's log, to explain a failure.
func (f *fleet) dumpLogs() {
	for _, p := range f.procs {
		fmt.Fprintf(os.Stderr, "--- last lines of %s (%s)\n%s\n", p.name, p.log, tail(p.log, 15))
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls GET url until it answers 200, the process exits or
// 60 s pass.
func waitReady(ctx context.Context, p *proc, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready:\n%s", p.name, tail(p.log, 15))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w", p.name, url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort is a port on 127.0.0.1 that was free a moment ago. The servers
// that need their port before they listen (it is written in redirect
// URLs) get one; the gap until they bind is a small race, and a lost one
// fails loudly at start.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

// peakRSS is the sum of the peak resident sets (VmHWM, KiB) of the
// processes and their descendants (nginx's workers): the sum of each
// one's peak, which can be more than their peak together.
func peakRSS(pids ...int) (int64, error) {
	var sum int64
	for _, pid := range withDescendants(pids...) {
		kib, err := procStatus(pid, "VmHWM:")
		if err != nil {
			return 0, err
		}
		sum += kib
	}
	return sum, nil
}

// withDescendants is the processes and all their descendants that are
// running.
func withDescendants(pids ...int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(pid); ok {
			parent[pid] = ppid
		}
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	out := slices.Clone(pids)
	for pid := range parent {
		if in[pid] {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if in[p] {
				out = append(out, pid)
				break
			}
			if _, ok := parent[p]; !ok {
				break
			}
		}
	}
	return out
}

// parentPID is field 4 of /proc/PID/stat.
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	fs := strings.Fields(string(b[i+1:]))
	if len(fs) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fs[1])
	return ppid, err == nil
}

// procStatus is a field of /proc/PID/status in KiB.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// resetPeakRSS waits until a process's RSS has settled (Go returns freed
// memory to the system within a few seconds), then sets its VmHWM to its
// current RSS (Linux 4.0+). ssogate's setup hashes a generated password
// with argon2id (64 MiB): without this, that would be the peak of every
// run, and memory freed but not yet returned would count on top of the
// load's.
func resetPeakRSS(ctx context.Context, pid int) error {
	last := int64(-1)
	for range 30 {
		rss, err := procStatus(pid, "VmRSS:")
		if err != nil {
			return err
		}
		if last >= 0 && rss >= last-1024 { // shrank by less than 1 MiB in a second
			break
		}
		last = rss
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat times.
const clockTick = 100

// cpuTime is the CPU time (user + system) used so far by the processes
// and all their descendants that are still running.
func cpuTime(pids ...int) time.Duration {
	type stat struct {
		ppid  int
		ticks int64
	}
	all := map[int]stat{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces: state is
		// field 3, ppid 4, utime 14, stime 15.
		i := strings.LastIndexByte(string(b), ')')
		fs := strings.Fields(string(b[i+1:]))
		if len(fs) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(fs[1])
		ut, _ := strconv.ParseInt(fs[11], 10, 64)
		st, _ := strconv.ParseInt(fs[12], 10, 64)
		all[pid] = stat{ppid, ut + st}
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	var ticks int64
	for pid, s := range all {
		for p := pid; p > 1; p = all[p].ppid {
			if in[p] {
				ticks += s.ticks
				break
			}
			if _, ok := all[p]; !ok {
				break
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTick
}

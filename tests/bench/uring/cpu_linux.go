//go:build linux

package uring

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ThreadCPU is the calling OS thread's CPU time so far, user plus system
// (CLOCK_THREAD_CPUTIME_ID). The caller should be locked to its thread.
//
// getrusage(RUSAGE_THREAD) is not used: without
// CONFIG_VIRT_CPU_ACCOUNTING_GEN it reports the runtime as of the thread's
// last scheduler tick or switch, up to a tick (4 ms at HZ=250) stale, which
// over a fan-out of a few milliseconds undercounts by a share that depends
// on the fan-out's length. The clock brings the runtime up to date first.
func ThreadCPU() (time.Duration, error) { return clock(unix.CLOCK_THREAD_CPUTIME_ID) }

// ProcessCPU is the process's CPU time so far, all threads, user plus
// system (CLOCK_PROCESS_CPUTIME_ID).
func ProcessCPU() (time.Duration, error) { return clock(unix.CLOCK_PROCESS_CPUTIME_ID) }

func clock(id int32) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, fmt.Errorf("clock_gettime(%d): %w", id, err)
	}
	return time.Duration(ts.Nano()), nil
}

// IOWorkerCPU is the CPU time of this process's io_uring worker threads
// (io-wq, named iou-wrk-*), which RUSAGE_THREAD does not count against
// the submitting thread, and how many there are. Sends that cannot finish
// inline are meant to be retried on readiness rather than handed to io-wq,
// so both should stay 0; this checks that they do.
func IOWorkerCPU() (cpu time.Duration, threads int, err error) {
	tasks, err := tasksNamed("/proc/self/task/*", "iou-wrk")
	if err != nil {
		return 0, 0, err
	}
	cpu, err = runtimeOf(tasks)
	return cpu, len(tasks), err
}

// Softirqd reads the CPU time of the machine's ksoftirqd threads, where
// the kernel finishes network work (here: the loopback receive side) that
// it put off in the sending thread's context. Work moved there from the
// writer does not show in the writer's RUSAGE_THREAD.
type Softirqd struct{ tasks []string }

// NewSoftirqd finds the ksoftirqd threads; none if this process cannot
// see them (another PID namespace).
func NewSoftirqd() (*Softirqd, error) {
	tasks, err := tasksNamed("/proc/[0-9]*", "ksoftirqd/")
	return &Softirqd{tasks}, err
}

// Threads is how many ksoftirqd threads s reads.
func (s *Softirqd) Threads() int { return len(s.tasks) }

// CPU is the ksoftirqd threads' CPU time so far.
func (s *Softirqd) CPU() (time.Duration, error) { return runtimeOf(s.tasks) }

// tasksNamed is the /proc task directories matching glob whose name starts
// with prefix.
func tasksNamed(glob, prefix string) ([]string, error) {
	dirs, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	var out []string
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err == nil && strings.HasPrefix(string(comm), prefix) {
			out = append(out, d)
		}
	}
	return out, nil
}

// runtimeOf sums the tasks' time on a CPU in nanoseconds (the first field
// of /proc/.../schedstat).
func runtimeOf(tasks []string) (time.Duration, error) {
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(t, "schedstat"))
		if err != nil {
			return 0, fmt.Errorf("read schedstat: %w", err)
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("parse %s/schedstat: empty", t)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s/schedstat: %w", t, err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is the kernel's USER_HZ (getconf CLK_TCK): the unit of the
// utime and stime fields of /proc/<pid>/stat. It is 100 on every Linux
// architecture Herald runs on.
const ClockTicks = 100

// RSSKiB returns the resident set size of process pid in KiB (VmRSS in
// /proc/<pid>/status).
func RSSKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // "12345", "kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc: unexpected VmRSS line %q", sc.Text())
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("proc: no VmRSS in /proc/%d/status", pid)
}

// CPUTime returns the CPU time process pid has used so far, user plus
// system (utime + stime in /proc/<pid>/stat), at the kernel's 10 ms
// resolution. Pass os.Getpid() for the benchmark process itself.
func CPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may contain spaces:
	// the fixed fields start after the last ')'. There, index 0 is the state
	// (field 3), so utime (field 14) is index 11 and stime index 12.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("proc: short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / ClockTicks, nil
}

//go:build linux

package uring

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	benchConns = flag.Int("conns", 1000, "socket pairs in BenchmarkFanoutWrites")
	pacedRate  = flag.Int("rate", 20, "messages per second in the paced windows")
	pacedMsgs  = flag.Int("paced-msgs", 20, "messages per paced window")
	burstMsgs  = flag.Int("burst-msgs", 200, "messages per back-to-back window")
	onlyModes  = flag.String("modes", "", "comma-separated modes to run (default all)")
	onlyReader = flag.String("readers", "", "run only awake or only parked readers")
)

// testFrame is a WebSocket text frame (server to client, unmasked) of a
// SignalR JSON invocation record, about the size of the benchmarks'
// broadcasts.
func testFrame() []byte {
	payload := `{"type":1,"target":"broadcast","arguments":["bench",` +
		`"0123456789abcdef0123456789abcdef0123456789"]}` + "\x1e"
	return append([]byte{0x81, byte(len(payload))}, payload...)
}

// mode is one way of writing the fan-out.
type mode struct {
	name string
	f    Fanout
}

// window is one measured window: a mode's CPU per delivery.
type window struct {
	round int
	ns    float64 // writer thread CPU-ns per delivery
	proc  float64 // the process's CPU-ns per delivery, readers included
	sirq  float64 // ksoftirqd's CPU-ns per delivery
}

// BenchmarkFanoutWrites: see the package documentation. One op is one
// round: for each way of reading the clients (awake, parked), a paced and
// a back-to-back window of every mode, the modes' order rotated round by
// round.
func BenchmarkFanoutWrites(b *testing.B) {
	runtime.LockOSThread() // the rings are single-issuer; RUSAGE_THREAD
	defer runtime.UnlockOSThread()
	type readers struct {
		name  string
		p     *pairs
		modes []mode
	}
	softirqd, err := NewSoftirqd()
	if err != nil {
		b.Fatal(err)
	}
	var sets []readers
	for _, r := range []struct {
		name   string
		parked bool
	}{{"awake", false}, {"parked", true}} {
		if *onlyReader != "" && *onlyReader != r.name {
			continue
		}
		p := connectPairs(b, *benchConns, r.parked)
		modes, closeRings, err := fanoutModes(p)
		defer closeRings()
		if errors.Is(err, ErrUnsupported) {
			b.Skip(err)
		}
		if err != nil {
			b.Fatal(err)
		}
		sets = append(sets, readers{r.name, p, modes})
	}

	frame := testFrame()
	pacings := []struct {
		name string
		msgs int
		gap  time.Duration
	}{
		{fmt.Sprintf("%d/s", *pacedRate), *pacedMsgs, time.Second / time.Duration(*pacedRate)},
		{"back-to-back", *burstMsgs, 0},
	}
	got := map[string][]window{} // readers, pacing and mode name
	sent := make([]int64, len(sets))
	round := 0
	for b.Loop() {
		for si, set := range sets {
			for _, pc := range pacings {
				for k := range set.modes {
					m := set.modes[(k+round)%len(set.modes)]
					p0, err := ProcessCPU()
					if err != nil {
						b.Fatal(err)
					}
					base := sent[si]
					settle := func(msgs int) error {
						return set.p.settle(base+int64(msgs*len(frame)), 30*time.Second)
					}
					cpu, sirq, err := runWindow(m.f, frame, pc.msgs, pc.gap, settle, softirqd)
					if err != nil {
						b.Fatalf("%s %s %s: %v", set.name, pc.name, m.name, err)
					}
					sent[si] += int64(pc.msgs * len(frame))
					if err := set.p.wait(sent[si], 30*time.Second); err != nil {
						b.Fatalf("%s %s %s: %v", set.name, pc.name, m.name, err)
					}
					p1, err := ProcessCPU()
					if err != nil {
						b.Fatal(err)
					}
					n := float64(pc.msgs * len(set.p.servers))
					key := set.name + " " + pc.name + " " + m.name
					got[key] = append(got[key], window{round, float64(cpu) / n, float64(p1-p0) / n, float64(sirq) / n})
				}
			}
		}
		round++
	}
	b.StopTimer()

	wcpu, workers, err := IOWorkerCPU()
	if err != nil {
		b.Fatal(err)
	}
	crossing, err := nullSyscall()
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d connections, %d-byte frame, %d rounds; a null system call (getppid) costs %.0f ns here\n"+
		"writer thread CPU-ns per delivery, median (min–max); ÷: median of window ÷ window in the same round; "+
		"proc: the whole process's (readers and draining included); sirq: the machine's ksoftirqd threads' (%d), median, "+
		"from each message (paced) or window (back to back) to its last byte's arrival; +sirq: writer and ksoftirqd, ÷ write's\n",
		*benchConns, len(frame), round, crossing, softirqd.Threads())
	for _, set := range sets {
		for _, pc := range pacings {
			prefix := set.name + " " + pc.name
			base, conn := got[prefix+" write"], got[prefix+" conn"]
			for _, m := range set.modes {
				w := got[prefix+" "+m.name]
				med, lo, hi := stats(w)
				fmt.Fprintf(&sb, "  %-6s %-12s %-16s %5.0f (%.0f–%.0f)  ÷write %.2f  ÷conn %.2f  proc %5.0f ÷write %.2f  sirq %4.0f  +sirq ÷write %.2f  fallbacks %d\n",
					set.name, pc.name, m.name, med, lo, hi, pairedRatio(w, base), pairedRatio(w, conn),
					median(procs(w)), median(ratios(procs(w), procs(base))), median(sirqs(w)), median(ratios(totals(w), totals(base))), m.f.Fallbacks())
				b.ReportMetric(med, set.name+"-"+strings.ReplaceAll(pc.name, "/", "per")+"-"+m.name+"-ns/delivery")
			}
		}
	}
	fmt.Fprintf(&sb, "io-wq workers: %d, CPU %v (not in the figures above)", workers, wcpu)
	b.Log(sb.String())
}

// fanoutModes is the ways of writing to p's server sides that the
// benchmark compares, and a func that closes their rings. The calling
// goroutine must stay locked to its thread while it uses them.
func fanoutModes(p *pairs) (modes []mode, closeRings func(), err error) {
	for _, m := range []mode{
		{"conn", &ConnWrites{Conns: p.servers}},
		{"write", &RawWrites{Conns: p.servers, FDs: p.fds}},
	} {
		if wanted(m.name) {
			modes = append(modes, m)
		}
	}
	var rings []*Ring
	closeRings = func() {
		for _, r := range rings {
			_ = r.Close()
		}
	}
	for _, rc := range []struct {
		entries uint32
		fixed   bool
	}{{1024, false}, {256, false}, {64, false}, {256, true}} {
		name := fmt.Sprintf("uring-%d", rc.entries)
		if rc.fixed {
			name += "-fixed"
		}
		if !wanted(name) {
			continue
		}
		r, err := NewRing(rc.entries)
		if err != nil {
			return nil, closeRings, err
		}
		rings = append(rings, r)
		f := &RingWrites{Ring: r, Conns: p.servers, FDs: p.fds32()}
		if rc.fixed {
			if err := r.RegisterFiles(f.FDs); err != nil {
				return nil, closeRings, err
			}
			for i := range f.FDs {
				f.FDs[i] = int32(i)
			}
		}
		modes = append(modes, mode{name, f})
	}
	return modes, closeRings, nil
}

// wanted reports whether -modes lets mode run.
func wanted(mode string) bool {
	return *onlyModes == "" || slices.Contains(strings.Split(*onlyModes, ","), mode)
}

// runWindow writes msgs messages through f, gap apart (back to back if
// 0), and returns the calling thread's CPU over the f.Write calls and the
// ksoftirqd threads' CPU until the messages arrived: paced, from each
// message's write until settle(i+1) reports its arrival at every client;
// back to back, from the first write until settle(msgs).
func runWindow(f Fanout, frame []byte, msgs int, gap time.Duration,
	settle func(msgs int) error, sirqd *Softirqd) (cpu, sirq time.Duration, err error) {
	start := time.Now()
	var s0 time.Duration
	for i := range msgs {
		if gap > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * gap)))
		}
		if gap > 0 || i == 0 {
			if s0, err = sirqd.CPU(); err != nil {
				return 0, 0, err
			}
		}
		t0, err := ThreadCPU()
		if err != nil {
			return 0, 0, err
		}
		if err := f.Write(frame); err != nil {
			return 0, 0, err
		}
		t1, err := ThreadCPU()
		if err != nil {
			return 0, 0, err
		}
		cpu += t1 - t0
		if gap > 0 || i == msgs-1 {
			if err := settle(i + 1); err != nil {
				return 0, 0, err
			}
			s1, err := sirqd.CPU()
			if err != nil {
				return 0, 0, err
			}
			sirq += s1 - s0
		}
	}
	return cpu, sirq, nil
}

// stats is the median, least and greatest of ws' figures.
func stats(ws []window) (med, lo, hi float64) {
	v := make([]float64, len(ws))
	for i, w := range ws {
		v[i] = w.ns
	}
	return median(v), slices.Min(v), slices.Max(v)
}

// pairedRatio is the median over rounds of a's figure ÷ b's.
func pairedRatio(a, b []window) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		r = append(r, a[i].ns/b[i].ns)
	}
	return median(r)
}

// procs is ws' process CPU figures.
func procs(ws []window) []float64 {
	v := make([]float64, len(ws))
	for i, w := range ws {
		v[i] = w.proc
	}
	return v
}

// sirqs is ws' ksoftirqd figures.
func sirqs(ws []window) []float64 {
	v := make([]float64, len(ws))
	for i, w := range ws {
		v[i] = w.sirq
	}
	return v
}

// totals is ws' writer thread plus ksoftirqd figures.
func totals(ws []window) []float64 {
	v := make([]float64, len(ws))
	for i, w := range ws {
		v[i] = w.ns + w.sirq
	}
	return v
}

// ratios is a[i] ÷ b[i].
func ratios(a, b []float64) []float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		r = append(r, a[i]/b[i])
	}
	return r
}

// nullSyscall is the calling thread's CPU-ns per getppid(2) through
// unix.Syscall, the same path a write(2) takes: the cost of one kernel
// crossing, which is what batching saves.
func nullSyscall() (float64, error) {
	const n = 200_000
	t0, err := ThreadCPU()
	if err != nil {
		return 0, err
	}
	for range n {
		unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	}
	t1, err := ThreadCPU()
	if err != nil {
		return 0, err
	}
	return float64(t1-t0) / n, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

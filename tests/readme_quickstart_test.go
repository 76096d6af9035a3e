package tests

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The README marks each quick-start command block with an HTML comment
// naming its step, so this test runs exactly what a reader copies.
var (
	quickStartMarker = regexp.MustCompile(`^<!-- quickstart:([a-z]+) -->$`)
	quickStartSteps  = []string{"server", "client", "send"}
)

// Bounds of the quick start's steps. They are generous (the first step
// builds Herald on a machine other tests share) and only stop a hung run:
// no assertion is made on time.
const (
	quickStartServerTimeout = 5 * time.Minute
	quickStartClientTimeout = 90 * time.Second
	quickStartSendTimeout   = 3 * time.Minute
	quickStartStopTimeout   = 15 * time.Second
	// quickStartAddr is where the README says the emulator listens.
	quickStartAddr = "localhost:8888"
	// quickStartNetnsEnv is set in the copy of the test binary that runs
	// the quick start in a network namespace of its own.
	quickStartNetnsEnv = "HERALD_QUICKSTART_NETNS"
)

// TestREADMEQuickStart follows the README's quick start literally, as a
// new user on a fresh clone would: it runs the server block (`make run`),
// the client block (the official @microsoft/signalr client under node)
// and the send block (a REST token from `go run ./local token`, then
// curl) through bash from the repository root, and passes only when the
// client prints the message the REST call sent. It fails when a command
// of the README breaks, or when the README loses a step.
//
// The README's port is fixed, so where Linux allows it (unshare and ip
// present, unprivileged user namespaces on) the test binary runs this test
// again in a user and network namespace of its own, with only a loopback
// interface: a `make run` of the developer's, or the same test of another
// checkout on the machine, cannot take localhost:8888 from it. Elsewhere it
// runs in the machine's namespace and fails at once if the port is taken.
func TestREADMEQuickStart(t *testing.T) {
	t.Parallel()
	if os.Getenv(quickStartNetnsEnv) == "" {
		if ns := netnsCommand(); ns != nil {
			runInNetns(t, ns)
			return
		}
		t.Log("no private network namespace here (unshare -rn, ip): running the quick start on this machine's localhost:8888")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := quickStartBlocks(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", quickStartAddr, time.Second); err == nil {
		c.Close()
		t.Fatalf("something already listens on %s, where the README's emulator must start; stop it (a `make run` of your own?) and run the test again", quickStartAddr)
	}
	begin := time.Now()

	server := startShell(t, "server", root, blocks["server"])
	if err := waitHealthy(server, "http://"+quickStartAddr+"/api/health", quickStartServerTimeout); err != nil {
		t.Fatalf("the README's server block (%q): %v\noutput:\n%s", blocks["server"], err, server.out.String())
	}
	t.Logf("server block healthy after %v", time.Since(begin).Round(time.Millisecond))

	client := startShell(t, "client", root, blocks["client"])
	if err := client.waitLine("connected", quickStartClientTimeout); err != nil {
		t.Fatalf("the README's client block: %v\nclient output:\n%s\nserver output:\n%s", err, client.out.String(), server.out.String())
	}

	send := startShell(t, "send", root, blocks["send"])
	if err := send.wait(quickStartSendTimeout); err != nil {
		t.Fatalf("the README's send block: %v\noutput:\n%s", err, send.out.String())
	}
	if !strings.Contains(send.out.String(), " 202 Accepted") {
		t.Fatalf("the README's send block did not get 202 Accepted:\n%s", send.out.String())
	}
	if err := client.waitLine("hello", quickStartClientTimeout); err != nil {
		t.Fatalf("the client never printed the message the send block sent: %v\nclient output:\n%s\nserver output:\n%s", err, client.out.String(), server.out.String())
	}
	t.Logf("quick start done after %v, build included", time.Since(begin).Round(time.Millisecond))
}

// netnsCommand returns the command prefix that runs a program in a new
// user and network namespace with the loopback interface up, or nil when
// this machine cannot make one.
func netnsCommand() []string {
	unshare, err1 := exec.LookPath("unshare")
	ip, err2 := exec.LookPath("ip")
	if err1 != nil || err2 != nil {
		return nil
	}
	prefix := []string{unshare, "--user", "--map-root-user", "--net", "--", "sh", "-c", ip + ` link set lo up && exec "$@"`, "sh"}
	probe := exec.Command(prefix[0], append(prefix[1:], "true")...)
	if probe.Run() != nil {
		return nil
	}
	return prefix
}

// runInNetns runs TestREADMEQuickStart of this test binary under the
// namespace prefix ns and fails t with its output when it fails.
func runInNetns(t *testing.T, ns []string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := slices.Concat(ns[1:], []string{exe, "-test.run=^TestREADMEQuickStart$", "-test.count=1", "-test.v"})
	cmd := exec.Command(ns[0], args...)
	cmd.Env = append(os.Environ(), quickStartNetnsEnv+"=1")
	out := newLineBuffer()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = quickStartStopTimeout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the quick start in a network namespace: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	limit := quickStartServerTimeout + 2*quickStartClientTimeout + quickStartSendTimeout + 3*quickStartStopTimeout
	select {
	case werr = <-done:
	case <-time.After(limit):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		werr = fmt.Errorf("killed after %v: %w", limit, <-done)
	}
	if werr != nil || !strings.Contains(out.String(), "--- PASS: TestREADMEQuickStart") {
		t.Fatalf("the quick start in a private network namespace failed (%v):\n%s", werr, out.String())
	}
	for _, l := range out.lines() {
		if strings.Contains(l, "readme_quickstart_test.go") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// quickStartBlocks returns the fenced code blocks of the README's
// "## Quick start" section that follow a quickstart marker, by step. Every
// step of quickStartSteps must be there exactly once.
func quickStartBlocks(readme string) (map[string]string, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	blocks := map[string]string{}
	var (
		inSection bool
		step      string // marker seen, waiting for its fence
		fenced    bool
		body      []string
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case fenced && strings.HasPrefix(line, "```"):
			blocks[step] = strings.Join(body, "\n") + "\n"
			step, fenced, body = "", false, nil
		case fenced:
			body = append(body, line)
		case strings.HasPrefix(line, "## "):
			inSection = line == "## Quick start"
		case !inSection:
		case quickStartMarker.MatchString(line):
			s := quickStartMarker.FindStringSubmatch(line)[1]
			if !slices.Contains(quickStartSteps, s) {
				return nil, fmt.Errorf("README.md:%d: unknown quick-start step %q", n, s)
			}
			if _, dup := blocks[s]; dup {
				return nil, fmt.Errorf("README.md:%d: quick-start step %q marked twice", n, s)
			}
			step = s
		case step != "" && strings.HasPrefix(line, "```"):
			fenced = true
		case step != "" && line != "":
			return nil, fmt.Errorf("README.md:%d: the quick-start marker %q is not followed by a code block", n, step)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if fenced {
		return nil, fmt.Errorf("README.md: the quick-start block %q is not closed", step)
	}
	for _, s := range quickStartSteps {
		if strings.TrimSpace(blocks[s]) == "" {
			return nil, fmt.Errorf("README.md: no quick-start block %q under \"## Quick start\" (mark it with <!-- quickstart:%s -->)", s, s)
		}
	}
	return blocks, nil
}

// TestQuickStartBlocks checks the extraction on a small README, so the
// quick-start test cannot pass by running nothing.
func TestQuickStartBlocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "README.md")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "# X\n\n<!-- quickstart:server -->\n```sh\nnot in the section\n```\n\n## Quick start\n\nText.\n\n" +
		"<!-- quickstart:server -->\n```sh\nmake run\n```\n\n<!-- quickstart:client -->\n```sh\na\nb\n```\n\n" +
		"<!-- quickstart:send -->\n\n```sh\nc\n```\n\n## Next\n\n<!-- quickstart:send -->\n```sh\nlater\n```\n"
	blocks, err := quickStartBlocks(write(good))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"server": "make run\n", "client": "a\nb\n", "send": "c\n"}
	for k, v := range want {
		if blocks[k] != v {
			t.Errorf("block %q = %q, want %q", k, blocks[k], v)
		}
	}
	for _, bad := range []string{
		strings.Replace(good, "<!-- quickstart:client -->", "", 1),
		strings.Replace(good, "<!-- quickstart:client -->\n```sh", "<!-- quickstart:client -->\ntext\n```sh", 1),
		strings.Replace(good, "quickstart:client", "quickstart:server", 1),
		strings.Replace(good, "quickstart:client", "quickstart:other", 1),
		strings.Replace(good, "## Quick start", "## Quick Start", 1),
	} {
		if _, err := quickStartBlocks(write(bad)); err == nil {
			t.Errorf("no error for README:\n%s", bad)
		}
	}
}

// shell is one quick-start block running under bash in its own process
// group, so the processes it starts (make, the emulator, node) are
// stopped with it.
type shell struct {
	name string
	cmd  *exec.Cmd
	out  *lineBuffer
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, set before done is closed
}

// startShell runs script with bash in dir. The test's cleanup stops the
// process group (SIGTERM, then SIGKILL) and waits for bash.
func startShell(t *testing.T, name, dir, script string) *shell {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the README's commands need bash: %v", err)
	}
	s := &shell{name: name, out: newLineBuffer(), done: make(chan struct{})}
	s.cmd = exec.Command(bash, "-c", script)
	s.cmd.Dir = dir
	s.cmd.Env = userEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Output pipes held by a grandchild must not keep Wait forever.
	s.cmd.WaitDelay = quickStartStopTimeout
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start the README's %s block: %v", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// userEnv is this process's environment as a user's terminal would have
// it: without the variables of a `make test` that runs this test, whose
// job server the README's `make run` must not try to join.
func userEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}, name)
	})
}

// stop ends the block's process group: SIGTERM (the emulator drains and
// exits), then SIGKILL after quickStartStopTimeout, and waits for bash.
func (s *shell) stop(t *testing.T) {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(quickStartStopTimeout):
		t.Errorf("the %s block did not stop within %v of SIGTERM; killing it", s.name, quickStartStopTimeout)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// Whatever bash left in its group (it exits before its children when
	// signalled) gets the same end.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// wait waits for the block to finish and reports a failed exit.
func (s *shell) wait(timeout time.Duration) error {
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("bash exited: %w", s.err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("still running after %v", timeout)
	}
}

// waitLine waits until the block printed a line equal to want.
func (s *shell) waitLine(want string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		changed := s.out.changed()
		if slices.Contains(s.out.lines(), want) {
			return nil
		}
		select {
		case <-changed:
		case <-s.done:
			if slices.Contains(s.out.lines(), want) {
				return nil
			}
			return fmt.Errorf("the block ended (%v) before printing %q", s.err, want)
		case <-deadline:
			return fmt.Errorf("no line %q after %v", want, timeout)
		}
	}
}

// waitHealthy polls url until it answers 200, the block ends or timeout
// passes.
func waitHealthy(s *shell, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	// No keep-alive: no idle connection outlives the wait.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-s.done:
			return fmt.Errorf("the block ended (%v) before %s answered 200", s.err, url)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %v: %w", url, timeout, ctx.Err())
		}
	}
}

// lineBuffer collects a process's output and tells waiters when it grew.
type lineBuffer struct {
	mu     sync.Mutex
	buf    strings.Builder
	notify chan struct{} // closed and replaced on every write
}

func newLineBuffer() *lineBuffer { return &lineBuffer{notify: make(chan struct{})} }

// Write appends p and wakes the waiters.
func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	close(b.notify)
	b.notify = make(chan struct{})
	return len(p), nil
}

// changed returns a channel closed at the next write.
func (b *lineBuffer) changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.notify
}

// String returns everything written so far.
func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the complete lines written so far, without line ends.
func (b *lineBuffer) lines() []string {
	s := b.String()
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return nil
	}
	lines := strings.Split(s[:i], "\n")
	for k, l := range lines {
		lines[k] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

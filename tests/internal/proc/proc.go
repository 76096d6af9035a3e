// Package proc builds Herald's binaries (./local, ./gateway) and runs them
// as child processes for tests and benchmarks that need real processes: a
// Child listens on a loopback port, reports its address (local on stdout,
// the gateway binary in its "gateway listening" log line), and is stopped
// with SIGTERM (then SIGKILL) or killed outright.
package proc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/testsupport"
)

// Package is the import path of the binary Build compiles.
const Package = "github.com/heraldrt/herald/local"

// GatewayPackage is the import path of the gateway binary, the one the
// container image ships.
const GatewayPackage = "github.com/heraldrt/herald/gateway"

// Timeouts of a child's life cycle.
const (
	// ReadyTimeout bounds the wait for the start-up line and a healthy
	// /api/health.
	ReadyTimeout = 10 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout = 10 * time.Second
)

// Build compiles ./local into dir and returns the binary's path. flags go
// to `go build` (e.g. "-race"). It runs the go command found in PATH, from
// the current directory, which must be inside the module.
func Build(dir string, flags ...string) (string, error) {
	return BuildPackage(dir, "herald-local", Package, flags...)
}

// BuildPackage compiles the main package pkg into dir/name and returns the
// binary's path, like Build.
func BuildPackage(dir, name, pkg string, flags ...string) (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("proc: building %s: %w", pkg, err)
	}
	bin := filepath.Join(dir, name)
	args := append([]string{"build", "-o", bin}, flags...)
	cmd := exec.Command(gocmd, append(args, pkg)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("proc: go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// Child is a running local process listening on a loopback port. Its
// methods are safe for concurrent use.
type Child struct {
	// Addr is the loopback address the child listens on, "127.0.0.1:PORT".
	Addr string

	cmd    *exec.Cmd
	stdout *testsupport.Buffer
	stderr *testsupport.Buffer
	waited chan struct{} // closed when cmd.Wait has returned
	err    error         // cmd.Wait's result, set before waited is closed

	mu     sync.Mutex
	killed bool // Kill was called: the exit is expected
	stop   func() error
}

// urlLine matches local's start-up line with the base URL (stdout);
// gatewayLine the gateway binary's log line with it (stderr, text or JSON
// logs).
var (
	urlLine     = regexp.MustCompile(`listening on http://[^\s:]+:(\d+)`)
	gatewayLine = regexp.MustCompile(`gateway listening.*\burl"?[=:]"?http://[^\s:"]+:(\d+)`)
)

// Start runs bin with args, which must make it listen on 127.0.0.1 (e.g.
// "--addr", "127.0.0.1:0"), and waits until it has printed its address
// and /api/health answers 200. Stop it with Stop (or Kill).
func Start(bin string, args ...string) (*Child, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	return start(cmd)
}

// StartEnv runs bin without arguments in exactly the environment env
// ("NAME=value" entries; nothing is inherited, as in a container), for the
// gateway binary, which is configured by its environment: env must make it
// listen on 127.0.0.1 (HERALD_ADDR). It waits like Start, for the
// "gateway listening" log line and a healthy /api/health.
func StartEnv(bin string, env []string) (*Child, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	return start(cmd)
}

func start(cmd *exec.Cmd) (*Child, error) {
	bin, args := cmd.Path, cmd.Args[1:]
	c := &Child{stdout: &testsupport.Buffer{}, stderr: &testsupport.Buffer{}, waited: make(chan struct{})}
	c.cmd = cmd
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("proc: start %s: %w", bin, err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.waited) }() // owned: Stop and Kill wait for it
	c.stop = sync.OnceValue(c.terminate)
	if err := c.awaitReady(ReadyTimeout); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("proc: %s %q did not start: %w\nstdout:\n%s\nstderr:\n%s", bin, args, err, c.stdout, c.stderr)
	}
	return c, nil
}

// awaitReady waits for the URL line, then for a healthy /api/health.
func (c *Child) awaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for c.Addr == "" {
		m := urlLine.FindStringSubmatch(c.stdout.String())
		if m == nil {
			m = gatewayLine.FindStringSubmatch(c.stderr.String())
		}
		if m != nil {
			c.Addr = net.JoinHostPort("127.0.0.1", m[1])
			break
		}
		if err := c.pause(deadline); err != nil {
			return err
		}
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	defer hc.CloseIdleConnections()
	for {
		resp, err := hc.Get(c.URL() + "/api/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := c.pause(deadline); err != nil {
			return err
		}
	}
}

// pause sleeps a little before the next readiness check; it fails when the
// child has exited or the deadline has passed.
func (c *Child) pause(deadline time.Time) error {
	select {
	case <-c.waited:
		return fmt.Errorf("exited early: %v", c.err)
	case <-time.After(20 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		return errors.New("timed out")
	}
	return nil
}

// URL is the child's base URL, "http://127.0.0.1:PORT".
func (c *Child) URL() string { return "http://" + c.Addr }

// PID is the child's process id, for the /proc readers.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Stdout returns what the child has written to stdout so far (its start-up
// banner).
func (c *Child) Stdout() string { return c.stdout.String() }

// Logs returns what the child has written to stderr so far (its logs).
func (c *Child) Logs() string { return c.stderr.String() }

// Exited is closed once the process has exited and been reaped.
func (c *Child) Exited() <-chan struct{} { return c.waited }

// Stop sends SIGTERM, waits up to StopTimeout for a graceful exit, then
// sends SIGKILL, and waits for the process. A clean exit, or a process
// that Kill already ended, returns nil; a process that had exited by
// itself returns an error. Calls after the first return the first call's
// result.
func (c *Child) Stop() error { return c.stop() }

// Kill ends the process with SIGKILL, like a crash (no cleanup), and waits
// until it has been reaped. Killing an exited process does nothing (and a
// later Stop still reports that it had exited by itself).
func (c *Child) Kill() {
	select {
	case <-c.waited:
		return
	default:
	}
	c.mu.Lock()
	c.killed = true
	c.mu.Unlock()
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.waited
}

func (c *Child) terminate() error {
	select {
	case <-c.waited:
		c.mu.Lock()
		killed := c.killed
		c.mu.Unlock()
		if killed {
			return nil
		}
		return fmt.Errorf("proc: process exited by itself: %v", c.err)
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.waited:
		return c.err
	case <-time.After(StopTimeout):
	}
	_ = c.cmd.Process.Kill()
	<-c.waited
	return fmt.Errorf("proc: process ignored SIGTERM for %v; killed", StopTimeout)
}

// childEnv is this process's environment without the variables Herald's
// binaries read as settings (docs/configuration.md): a child is
// configured by its flags alone, whatever the shell running the tests
// exports (REDIS_URL for shared/redistest, say).
func childEnv() []string {
	settings := map[string]bool{}
	for _, v := range append(config.Variables(&config.Node{}), config.Variables(&config.Functions{})...) {
		settings[v] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !settings[name] {
			out = append(out, kv)
		}
	}
	return out
}

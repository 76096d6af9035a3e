package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/heraldrt/herald/tests/internal/syncbuf"
)

// Build compiles the local emulator (github.com/heraldrt/herald/local)
// into dir and returns the binary's path. It runs the go command found in
// PATH, from the current directory, which must be inside the module.
func Build(dir string) (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("bench: building the emulator: %w", err)
	}
	bin := filepath.Join(dir, "herald-local")
	cmd := exec.Command(gocmd, "build", "-o", bin, "github.com/heraldrt/herald/local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build ./local: %w\n%s", err, out)
	}
	return bin, nil
}

// Child is a running emulator process listening on a loopback port.
type Child struct {
	// Addr is the loopback address the child listens on, "127.0.0.1:PORT".
	Addr string

	cmd    *exec.Cmd
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	waited chan struct{} // closed when cmd.Wait has returned
	err    error         // cmd.Wait's result, set before waited is closed
	stop   func() error
}

// urlLine matches the emulator's start-up line with its base URL.
var urlLine = regexp.MustCompile(`listening on http://[^\s:]+:(\d+)`)

// StartChild runs the emulator binary bin on a free port of 127.0.0.1 with
// error-level logging and waits until /api/health answers 200. Stop it
// with Stop.
func StartChild(bin string) (*Child, error) {
	c := &Child{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, waited: make(chan struct{})}
	c.cmd = exec.Command(bin, "--addr", "127.0.0.1:0", "--log-level", "error")
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start emulator: %w", err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.waited) }()
	c.stop = sync.OnceValue(c.terminate)
	if err := c.awaitReady(10 * time.Second); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("bench: emulator did not start: %w\nstdout:\n%s\nstderr:\n%s", err, c.stdout, c.stderr)
	}
	return c, nil
}

// awaitReady waits for the URL line, then for a healthy /api/health.
func (c *Child) awaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for c.Addr == "" {
		if m := urlLine.FindStringSubmatch(c.stdout.String()); m != nil {
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
		resp, err := hc.Get("http://" + c.Addr + "/api/health")
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

// PID is the child's process id, for the /proc readers.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Logs returns what the child has written to stderr (its error logs).
func (c *Child) Logs() string { return c.stderr.String() }

// Stop sends SIGTERM, waits up to 10s for a graceful exit, then sends
// SIGKILL, and waits for the process. Calls after the first return the
// first call's result. A clean exit returns nil.
func (c *Child) Stop() error { return c.stop() }

func (c *Child) terminate() error {
	select {
	case <-c.waited:
		return fmt.Errorf("bench: emulator exited by itself: %v", c.err)
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.waited:
		return c.err
	case <-time.After(10 * time.Second):
	}
	_ = c.cmd.Process.Kill()
	<-c.waited
	return errors.New("bench: emulator ignored SIGTERM for 10s; killed")
}

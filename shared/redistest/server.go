package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// EnvURL names the environment variable that points tests at an existing
// Redis server, as a redis:// URL.
const EnvURL = "REDIS_URL"

// installHint is how a test reports a missing redis-server.
const installHint = "redis-server (Redis ≥ 7) is not on PATH: install it " +
	"(apt-get install redis-server; brew install redis) or set " + EnvURL + " to a running server"

// readyTimeout is how long a started server has to answer PING.
const readyTimeout = 10 * time.Second

// Addr returns the URL (redis://host:port) of a Redis server for t: the
// value of REDIS_URL when it is set, else that of a throwaway server that
// Addr starts and that is stopped when t ends. It fails t with an install
// hint when redis-server is missing, and skips it under -short.
func Addr(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return Start(t).URL()
}

// Server is a throwaway redis-server process: no persistence, listening on
// 127.0.0.1 only. Its methods are safe for concurrent use.
type Server struct {
	port  int
	dir   string
	extra []string // more redis-server arguments

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed once cmd has exited and been reaped
}

// Start starts a throwaway redis-server on a free port, waits until it
// answers PING and stops it when t ends. It ignores REDIS_URL: use it for
// tests that stop and restart the server. It skips t under -short.
func Start(t testing.TB) *Server {
	t.Helper()
	SkipShort(t)
	s, err := start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// start starts a server whose files live in dir, trying a few free ports.
func start(dir string) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New(installHint)
	}
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		s := &Server{port: port, dir: dir}
		if err = s.launch(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// URL returns the server's address as a redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop kills the server (SIGKILL, like a crash) and waits for it to exit.
// Its data is gone. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// Restart starts the server again on the same port, empty, after a Stop
// (it stops a running server first), and waits until it answers PING.
func (s *Server) Restart() error {
	s.Stop()
	var err error
	for range 50 { // the port can stay busy for a moment after the kill
		if err = s.launch(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// launch runs redis-server on s.port and waits until it answers PING.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, "redis-"+strconv.Itoa(s.port)+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	defer log.Close()
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd.Args = append(cmd.Args, s.extra...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { // owned: Stop and the failure path below wait for it
		_ = cmd.Wait()
		close(exited)
	}()
	if err := waitReady(s.Addr(), exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("redistest: redis-server on port %d: %w\n%s", s.port, err, tail(out, 2000))
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// waitReady polls addr with PING until it answers PONG, the process exits
// or readyTimeout passes.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if Ping(addr) == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before answering PING")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING after %v", readyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Ping sends PING to the server at addr (host:port) over a fresh
// connection and reports an error unless it answers PONG within a second.
func Ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freePort returns a TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return bytes.TrimSpace(b)
}

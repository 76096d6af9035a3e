package scale

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
)

// driverProc is a running load driver: this test binary started again
// with DriverEnv set (TestMain), commanded on its stdin, reporting events
// on its stdout.
type driverProc struct {
	cfg       DriverConfig
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stderr    *testsupport.Buffer
	delivered atomic.Int64 // from its count and stats events
	events    chan Event   // every other event; closed at end of output
	reader    sync.WaitGroup
	exited    chan struct{}
	fdLimit   uint64
}

// startDriver starts a load driver for cfg and waits for it to be ready.
func startDriver(cfg DriverConfig) (*driverProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	d := &driverProc{cfg: cfg, stderr: &testsupport.Buffer{}, events: make(chan Event, 16), exited: make(chan struct{})}
	d.cmd = exec.Command(self)
	d.cmd.Env = append(os.Environ(), DriverEnv+"="+string(raw))
	d.cmd.Stderr = d.stderr
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("driver %s: %w", cfg.Source, err)
	}
	d.reader.Go(func() { d.read(stdout) })
	go func() { // owned: stop waits for exited
		d.reader.Wait() // the pipe must be drained before Wait closes it
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	e, err := d.await("ready", 30*time.Second)
	if err != nil || e.Error != "" {
		d.stop()
		return nil, fmt.Errorf("driver %s: %v %s\n%s", cfg.Source, err, e.Error, d.stderr)
	}
	d.fdLimit = e.FDLimit
	return d, nil
}

// read decodes the driver's events: counts update delivered, the rest
// go to events.
func (d *driverProc) read(r io.Reader) {
	defer close(d.events)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a stats event carries a histogram
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue
		}
		switch e.Kind {
		case "count":
			d.delivered.Store(e.Delivered)
		case "stats":
			d.delivered.Store(e.Delivered)
			d.events <- e
		default:
			d.events <- e
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// send writes one command.
func (d *driverProc) send(cmd string) error {
	_, err := io.WriteString(d.stdin, cmd+"\n")
	return err
}

// await waits for the next event other than a count, which must be of
// kind.
func (d *driverProc) await(kind string, timeout time.Duration) (Event, error) {
	select {
	case e, ok := <-d.events:
		if !ok {
			return Event{}, fmt.Errorf("driver %s exited\n%s", d.cfg.Source, d.stderr)
		}
		if e.Kind != kind {
			return e, fmt.Errorf("driver %s: %q event, want %q", d.cfg.Source, e.Kind, kind)
		}
		return e, nil
	case <-time.After(timeout):
		return Event{}, fmt.Errorf("driver %s: no %q event in %v", d.cfg.Source, kind, timeout)
	}
}

// stats asks for the driver's stats, with every user's count when
// perConn is set.
func (d *driverProc) stats(perConn bool) (Event, error) {
	cmd := cmdStats
	if perConn {
		cmd = cmdCounts
	}
	if err := d.send(cmd); err != nil {
		return Event{}, err
	}
	return d.await("stats", 30*time.Second)
}

// pid is the driver's process id.
func (d *driverProc) pid() int { return d.cmd.Process.Pid }

// stop tells the driver to close its connections and exit, kills it
// after 30 s, and waits for it.
func (d *driverProc) stop() error {
	_ = d.send(cmdClose)
	_ = d.stdin.Close()
	timeout := time.After(30 * time.Second)
	events := d.events // drained, so that the reader is never stuck
	killed := false
	for done := false; !done; {
		select {
		case <-d.exited:
			done = true
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case <-timeout:
			_ = d.cmd.Process.Signal(syscall.SIGKILL)
			killed, timeout = true, nil
		}
	}
	if killed {
		return errors.New("driver " + d.cfg.Source + " did not exit in 30 s; killed")
	}
	if !d.cmd.ProcessState.Success() {
		return fmt.Errorf("driver %s: %v\n%s", d.cfg.Source, d.cmd.ProcessState, d.stderr)
	}
	return nil
}

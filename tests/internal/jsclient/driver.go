package jsclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
)

// modulePath identifies the repository root: the directory whose go.mod declares it.
const modulePath = "github.com/heraldrt/herald"

// installHint is appended to every failure caused by a missing tool or package.
const installHint = "run `make test` or `cd tests/js && npm ci` (needs node >= 20 and npm)"

// Timeouts used by the driver's life cycle.
const (
	readyTimeout = 20 * time.Second // node start and module load
	exitTimeout  = 10 * time.Second // graceful exit before the process is killed
)

// Transport selects the transport the client may use. The zero value lets the client
// negotiate (WebSockets, then Server-Sent Events, then Long Polling).
type Transport string

// Transports understood by the driver.
const (
	TransportAuto    Transport = ""
	WebSockets       Transport = "WebSockets"
	ServerSentEvents Transport = "ServerSentEvents"
	LongPolling      Transport = "LongPolling"
)

// Protocol selects the hub protocol. The zero value means JSON.
type Protocol string

// Hub protocols understood by the driver.
const (
	JSON        Protocol = "json"
	MessagePack Protocol = "messagepack"
)

// ConnectOptions describes one HubConnection built by the driver.
type ConnectOptions struct {
	// Name identifies the connection in later commands and in events. Required.
	Name string `json:"name"`
	// URL is passed to withUrl, e.g. srv.URL()+"/api?hub=chat". Required.
	URL string `json:"url"`
	// Headers are sent with every HTTP request and the WebSocket upgrade (Node only).
	Headers map[string]string `json:"headers,omitempty"`
	// Transport restricts the transport; zero lets the client choose.
	Transport Transport `json:"transport,omitempty"`
	// Protocol is the hub protocol; zero means JSON.
	Protocol Protocol `json:"protocol,omitempty"`
	// Reconnect enables withAutomaticReconnect() with the default delays. Default off.
	Reconnect bool `json:"reconnect"`
	// Methods are the client methods registered with connection.on before start.
	Methods []string `json:"methods"`
	// AccessToken, when set, is returned by accessTokenFactory.
	AccessToken string `json:"accessToken,omitempty"`
	// SkipNegotiation connects the WebSocket directly to URL (WebSockets only).
	SkipNegotiation bool `json:"skipNegotiation,omitempty"`
	// Results registers client result handlers: the handler of each method
	// emits an invoked event, then returns, throws or hangs as its Result says.
	Results map[string]Result `json:"results,omitempty"`
	// KeepAliveMs, when set, is the client's keepAliveIntervalInMilliseconds
	// (how often it pings; default 15000).
	KeepAliveMs int `json:"keepAliveMs,omitempty"`
	// StatefulReconnect calls withStatefulReconnect() (clients from 8.0 on):
	// a WebSocket that drops is reopened for the same connection, and
	// unacknowledged messages are sent again.
	StatefulReconnect bool `json:"statefulReconnect,omitempty"`
}

// Result is what a client result handler does (exactly one field set).
type Result struct {
	// Value is returned.
	Value any `json:"value,omitempty"`
	// Error is thrown as an Error with this message.
	Error string `json:"error,omitempty"`
	// Hang returns a promise that never settles.
	Hang bool `json:"hang,omitempty"`
}

// Stream calls connection.stream(target, ...args) on connection name and subscribes:
// each item is an item event carrying id, the end a streamEnd event.
func (d *Driver) Stream(name, id, target string, args ...any) error {
	return d.call("stream", name, id, target, args)
}

// Upload calls connection.invoke (blocking) or connection.send with a Subject argument,
// then pushes items into it and completes it: a client-to-server stream. The outcome is
// a result or error event (blocking) or a sent event carrying id.
func (d *Driver) Upload(name, id, target string, blocking bool, items ...any) error {
	if items == nil {
		items = []any{}
	}
	return d.write(map[string]any{"cmd": "upload", "name": name, "id": id, "target": target, "items": items, "blocking": blocking})
}

// Cancel disposes the subscription of stream id (the client sends CancelInvocation).
func (d *Driver) Cancel(name, id string) error {
	return d.write(map[string]string{"cmd": "cancel", "name": name, "id": id})
}

// Driver is a running node process hosting any number of named SignalR client
// connections. It is safe for concurrent use. Start registers a Cleanup that stops it.
type Driver struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *testsupport.Buffer

	writeMu sync.Mutex

	mu       sync.Mutex
	events   []Event
	consumed []bool
	changed  chan struct{} // closed and replaced whenever events grow or the reader ends
	ended    bool          // the reader saw EOF on stdout

	ready      Event // the ready event; set before StartClient returns
	readerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// signalled: Kill ended the process on purpose; frozen: Freeze stopped
	// it (signals.go).
	signalled, frozen atomic.Bool
}

// Client selects the client library the driver runs: [Current], or the npm
// alias under which tests/js/package.json installs another line (see [Lines]).
type Client string

// Client libraries installed in tests/js (package.json).
const (
	// Current is @microsoft/signalr at the version tests/js pins.
	Current Client = ""
	// AspNetSignalR1 is @aspnet/signalr 1.1.4 with
	// @aspnet/signalr-protocol-msgpack 1.1.0: negotiate version 0, no
	// automatic reconnect, no custom headers (give the user id as the
	// userId query parameter of the app negotiate URL).
	AspNetSignalR1 Client = "aspnet-signalr-1"
)

// Start runs `node tests/js/driver.mjs` and waits until the client library is loaded.
// It fails the test (never skips) when node or the npm packages are missing. The
// process is stopped, and its reader goroutine waited for, in t.Cleanup.
func Start(t testing.TB) *Driver {
	t.Helper()
	return StartClient(t, Current)
}

// StartClient is Start running the client library c.
func StartClient(t testing.TB, c Client) *Driver {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("jsclient: %v", err)
	}
	dir := filepath.Join(root, "tests", "js")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("jsclient: node is not installed (%v); install Node.js >= 20, then %s", err, installHint)
	}
	client, msgpack := c.npmNames()
	for _, pkg := range []string{client, msgpack} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
			t.Fatalf("jsclient: npm packages are missing in %s (%v); %s", dir, err, installHint)
		}
	}

	d := &Driver{
		stderr:     &testsupport.Buffer{},
		changed:    make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	cmd := exec.Command(node, filepath.Join(dir, "driver.mjs"))
	cmd.Dir = dir
	if c != Current {
		cmd.Env = append(os.Environ(), "HERALD_SIGNALR_CLIENT="+string(c))
	}
	cmd.Stderr = d.stderr
	cmd.WaitDelay = exitTimeout
	d.stdin, err = cmd.StdinPipe()
	if err != nil {
		t.Fatalf("jsclient: stdin pipe: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("jsclient: stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("jsclient: start node: %v", err)
	}
	d.cmd = cmd
	go d.read(stdout)
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("jsclient: %v", err)
		}
		if t.Failed() {
			t.Logf("jsclient: driver events:\n%s\njsclient: node stderr:\n%s", d.dump(), d.Stderr())
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	ready, err := d.Next(ctx, func(e Event) bool { return e.Kind == KindReady })
	if err != nil {
		t.Fatalf("jsclient: driver did not become ready: %v; %s", err, installHint)
	}
	d.ready = ready
	return d
}

// RepoRoot returns the directory of the go.mod declaring github.com/heraldrt/herald,
// searching upwards from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && declaresModule(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func declaresModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == modulePath {
			return true
		}
	}
	return false
}

// Connect builds and starts a HubConnection. Success is reported as a connected event,
// failure as an error event with Op "connect".
func (d *Driver) Connect(opts ConnectOptions) error {
	if opts.Name == "" || opts.URL == "" {
		return errors.New("jsclient: Connect needs Name and URL")
	}
	if opts.Methods == nil {
		opts.Methods = []string{}
	}
	return d.write(struct {
		Cmd string `json:"cmd"`
		ConnectOptions
	}{"connect", opts})
}

// Invoke calls connection.invoke(target, ...args) on connection name. The outcome is a
// result or error event carrying id.
func (d *Driver) Invoke(name, id, target string, args ...any) error {
	return d.call("invoke", name, id, target, args)
}

// Send calls connection.send(target, ...args) on connection name (no completion is
// expected from the server). A sent event carrying id follows once the message left the
// client, or an error event when sending failed.
func (d *Driver) Send(name, id, target string, args ...any) error {
	return d.call("send", name, id, target, args)
}

// Stop calls connection.stop() on connection name; a stopped event follows (and a closed
// event when the connection had started).
func (d *Driver) Stop(name string) error {
	return d.write(map[string]string{"cmd": "stop", "name": name})
}

func (d *Driver) call(cmd, name, id, target string, args []any) error {
	if args == nil {
		args = []any{}
	}
	return d.write(map[string]any{"cmd": cmd, "name": name, "id": id, "target": target, "args": args})
}

func (d *Driver) write(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("jsclient: encode command: %w", err)
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if _, err := d.stdin.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("jsclient: write command to node: %w (stderr: %s)", err, d.Stderr())
	}
	return nil
}

// Next waits for the first event, in arrival order, that match accepts and that no
// earlier Next or Expect consumed; it marks it consumed and returns it. It fails when ctx
// ends or the node process has exited with no such event buffered.
func (d *Driver) Next(ctx context.Context, match func(Event) bool) (Event, error) {
	for {
		d.mu.Lock()
		for i, e := range d.events {
			if !d.consumed[i] && match(e) {
				d.consumed[i] = true
				d.mu.Unlock()
				return e, nil
			}
		}
		ended, changed := d.ended, d.changed
		d.mu.Unlock()
		if ended {
			return Event{}, errors.New("node driver exited")
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-changed:
		}
	}
}

// ExpectFunc is Next with a timeout that fails the test, naming what, listing every
// event seen and node's stderr.
func (d *Driver) ExpectFunc(t testing.TB, timeout time.Duration, what string, match func(Event) bool) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	e, err := d.Next(ctx, match)
	if err != nil {
		t.Fatalf("jsclient: waiting %v for %s: %v\nevents (* = consumed):\n%s\nnode stderr:\n%s",
			timeout, what, err, d.dump(), d.Stderr())
	}
	return e
}

// Expect waits up to timeout for the next unconsumed event of the given kind on
// connection name, failing the test otherwise.
func (d *Driver) Expect(t testing.TB, name, kind string, timeout time.Duration) Event {
	t.Helper()
	return d.ExpectFunc(t, timeout, fmt.Sprintf("%s event on %q", kind, name), Is(name, kind))
}

// ExpectMessage waits up to timeout for the next unconsumed message event for client
// method target on connection name.
func (d *Driver) ExpectMessage(t testing.TB, name, target string, timeout time.Duration) Event {
	t.Helper()
	return d.ExpectFunc(t, timeout, fmt.Sprintf("message %q on %q", target, name), IsMessage(name, target))
}

// ConnectWait connects and waits up to timeout for the connected event, failing the test
// on an error event or a timeout. It returns the connection id.
func (d *Driver) ConnectWait(t testing.TB, opts ConnectOptions, timeout time.Duration) string {
	t.Helper()
	if err := d.Connect(opts); err != nil {
		t.Fatal(err)
	}
	e := d.ExpectFunc(t, timeout, fmt.Sprintf("connected or error on %q", opts.Name), func(e Event) bool {
		return e.Name == opts.Name && (e.Kind == KindConnected || (e.Kind == KindError && e.Op == "connect"))
	})
	if e.Kind == KindError {
		t.Fatalf("jsclient: connect %q to %s failed: %s\nevents:\n%s", opts.Name, opts.URL, e.Message, d.dump())
	}
	if e.ConnectionID == "" {
		t.Fatalf("jsclient: connected event without connectionId: %s", e.Raw)
	}
	return e.ConnectionID
}

// Pending returns, in order, the unconsumed events that match accepts, without
// consuming them. Use it after a sentinel message to prove something did not arrive.
func (d *Driver) Pending(match func(Event) bool) []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Event
	for i, e := range d.events {
		if !d.consumed[i] && match(e) {
			out = append(out, e)
		}
	}
	return out
}

// Events returns a copy of every event received so far, consumed or not.
func (d *Driver) Events() []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Event(nil), d.events...)
}

// Versions returns the versions of the client library and of its MessagePack
// protocol package that the driver loaded (reported by the packages themselves).
func (d *Driver) Versions() (client, msgpack string) {
	return d.ready.SignalRVersion, d.ready.MsgpackVersion
}

// Stderr returns what node has written to stderr so far.
func (d *Driver) Stderr() string { return d.stderr.String() }

// Close asks the driver to stop its connections and exit, kills node if it has not
// exited within 10 s, and waits for the process and the reader goroutine. It returns an
// error when node did not exit cleanly. Close is idempotent; Start's Cleanup calls it.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		if d.frozen.Load() {
			_ = d.Thaw()
		}
		// Errors are expected when node already exited; the exit status tells the story.
		_ = d.write(map[string]string{"cmd": "exit"})
		_ = d.stdin.Close()
		killed := false
		timer := time.NewTimer(exitTimeout)
		defer timer.Stop()
		select {
		case <-d.readerDone:
		case <-timer.C:
			killed = true
			_ = d.cmd.Process.Kill()
			<-d.readerDone
		}
		err := d.cmd.Wait()
		switch {
		case d.signalled.Load():
		case killed:
			d.closeErr = fmt.Errorf("node driver did not exit within %v and was killed (stderr: %s)", exitTimeout, d.Stderr())
		case err != nil:
			d.closeErr = fmt.Errorf("node driver exited with %v (stderr: %s)", err, d.Stderr())
		}
	})
	return d.closeErr
}

// read owns stdout: it appends every line to the event buffer until EOF.
func (d *Driver) read(stdout io.Reader) {
	defer close(d.readerDone)
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			d.add(parse(line))
		}
		if err != nil {
			// Drain so that node never blocks on a full pipe after a read error.
			_, _ = io.Copy(io.Discard, r)
			d.mu.Lock()
			d.ended = true
			close(d.changed)
			d.mu.Unlock()
			return
		}
	}
}

func parse(line []byte) Event {
	var e Event
	if err := json.Unmarshal(line, &e); err != nil || e.Kind == "" {
		e = Event{Kind: KindInvalid, Message: string(line)}
	}
	e.Raw = string(line)
	return e
}

func (d *Driver) add(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, e)
	d.consumed = append(d.consumed, false)
	close(d.changed)
	d.changed = make(chan struct{})
}

func (d *Driver) dump() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	for i, e := range d.events {
		mark := " "
		if d.consumed[i] {
			mark = "*"
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, e.Raw)
	}
	if b.Len() == 0 {
		return "  (none)"
	}
	return strings.TrimRight(b.String(), "\n")
}

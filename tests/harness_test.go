package tests

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

const (
	hub        = "chat"
	recv       = "recv"                // the client method every test client registers
	wait       = 10 * time.Second      // the longest any single wait may take
	userHeader = "x-ms-signalr-userid" // header the app negotiate endpoint takes the user id from
)

// env is one emulator, one REST client and one node driver, all stopped in Cleanup.
type env struct {
	srv  *node.Server
	rest *mgmt.Client
	js   *jsclient.Driver
	seq  atomic.Int64
	stop func() error // cancels Serve and returns its result; idempotent
}

func newEnv(t *testing.T, configure ...func(*node.Config)) *env {
	t.Helper()
	return newEnvClient(t, jsclient.Current, configure...)
}

// newEnvClient is newEnv whose driver runs the client library c.
func newEnvClient(t *testing.T, c jsclient.Client, configure ...func(*node.Config)) *env {
	t.Helper()
	logs := &testsupport.Buffer{}
	cfg := node.Config{
		Addr:      "127.0.0.1:0",
		AdminAddr: "127.0.0.1:0", // /metrics
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv, stop := serveEmulator(t, cfg)
	e := &env{srv: srv, stop: stop}
	t.Cleanup(func() {
		if err := e.stop(); err != nil {
			t.Errorf("emulator Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("emulator logs:\n%s", logs.String())
		}
	})

	rest, err := mgmt.New(srv.ConnectionString())
	if err != nil {
		t.Fatalf("mgmt.New(%q): %v", srv.ConnectionString(), err)
	}
	e.rest = rest
	t.Cleanup(e.rest.Close)
	e.js = jsclient.StartClient(t, c) // cleaned up first: clients stop before the emulator does
	return e
}

// serveEmulator starts an emulator with cfg. stop cancels its Serve and returns
// Serve's error (nil when it ended because of the cancel); it is idempotent.
func serveEmulator(t *testing.T, cfg node.Config) (srv *node.Server, stop func() error) {
	t.Helper()
	srv, err := node.New(node.Development(cfg))
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	return srv, sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		case <-time.After(2 * wait):
			return fmt.Errorf("Serve did not return within %v of cancel", 2*wait)
		}
	})
}

// runEmulator is serveEmulator for emulators a test stops and starts itself: stop
// reports a failure to stop and also runs in Cleanup. Without cfg.Logger the
// emulator's debug log is printed when the test failed.
func runEmulator(t *testing.T, cfg node.Config) (*node.Server, func()) {
	t.Helper()
	logs := &testsupport.Buffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, stopErr := serveEmulator(t, cfg)
	stop := func() {
		if err := stopErr(); err != nil {
			t.Errorf("emulator on %s: %v", cfg.Addr, err)
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() && logs.String() != "" {
			t.Logf("emulator on %s logs:\n%s", cfg.Addr, logs.String())
		}
	})
	return srv, stop
}

// clientURL is what an app gives withUrl: the app negotiate endpoint, which redirects.
func (e *env) clientURL() string { return e.srv.URL() + "/api?hub=" + hub }

// connect opens a JSON WebSocket connection named name for userID ("" = anonymous) and
// returns its connection id.
func (e *env) connect(t *testing.T, name, userID string) string {
	t.Helper()
	return e.connectWith(t, jsclient.JSON, name, userID)
}

// connectWith is connect with the hub protocol p.
func (e *env) connectWith(t *testing.T, p jsclient.Protocol, name, userID string) string {
	t.Helper()
	opts := jsclient.ConnectOptions{
		Name:      name,
		URL:       e.clientURL(),
		Transport: jsclient.WebSockets,
		Protocol:  p,
		Methods:   []string{recv, "newMessage"}, // newMessage: the sample chat hub's
	}
	if userID != "" {
		opts.Headers = map[string]string{userHeader: userID}
	}
	return e.js.ConnectWait(t, opts, wait)
}

// payload returns a unique message text.
func (e *env) payload(prefix string) string { return fmt.Sprintf("%s-%d", prefix, e.seq.Add(1)) }

// expectRecv waits until connection name receives recv(text), consuming that message.
func (e *env) expectRecv(t *testing.T, name, text string) jsclient.Event {
	t.Helper()
	return e.js.ExpectFunc(t, wait, fmt.Sprintf("%s(%q) on %s", recv, text, name), func(ev jsclient.Event) bool {
		var got string
		return ev.Name == name && ev.Kind == jsclient.KindMessage && ev.Target == recv &&
			len(ev.Args) == 1 && ev.Arg(0, &got) == nil && got == text
	})
}

// settle proves the negative: it broadcasts a fresh sentinel, waits until every named
// connection has it, and then fails on any recv message those connections got before it
// that the test did not consume (delivery to one connection is ordered, so anything
// wrongly sent earlier is already buffered by then).
func (e *env) settle(t *testing.T, names ...string) {
	t.Helper()
	sentinel := e.payload("sentinel")
	status(t, "send sentinel", http.StatusAccepted)(e.rest.SendToAll(context.Background(), hub, recv, []any{sentinel}))
	for _, name := range names {
		e.expectRecv(t, name, sentinel)
	}
	for _, name := range names {
		if extra := e.js.Pending(jsclient.IsMessage(name, recv)); len(extra) > 0 {
			t.Errorf("%s received unexpected messages: %v", name, extra)
		}
	}
}

// The REST checkers below take a call's two results directly:
//
//	status(t, "send", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, args))

// status fails the test unless the call returned status want.
func status(t *testing.T, what string, want int) func(*mgmt.Response, error) *mgmt.Response {
	t.Helper()
	return func(resp *mgmt.Response, err error) *mgmt.Response {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.StatusCode != want {
			t.Fatalf("%s: got %v, want status %d", what, resp, want)
		}
		return resp
	}
}

// ok fails the test unless the call returned a 2xx status (for routes where the Azure
// service and its emulator differ, e.g. 200 vs 202).
func ok(t *testing.T, what string) func(*mgmt.Response, error) *mgmt.Response {
	t.Helper()
	return func(resp *mgmt.Response, err error) *mgmt.Response {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			t.Fatalf("%s: got %v, want a 2xx status", what, resp)
		}
		return resp
	}
}

// notFound fails the test unless the call returned 404 with x-ms-error-code code, which
// the Management SDK requires before it reports "does not exist".
func notFound(t *testing.T, what, code string) func(*mgmt.Response, error) {
	t.Helper()
	return func(resp *mgmt.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.StatusCode != http.StatusNotFound || !strings.EqualFold(resp.ErrorCode(), code) {
			t.Errorf("%s: got %v, want 404 with x-ms-error-code %s", what, resp, code)
		}
	}
}

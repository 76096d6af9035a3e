package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// matrixCase is one combination of the client matrix: a client line, a
// transport and a hub protocol, on a hub of its own so that its sends to all
// reach no other combination and its negative check holds.
type matrixCase struct {
	line  jsclient.Line
	combo jsclient.Combo
	js    *jsclient.Driver
	rest  *mgmt.Client
	base  string // app negotiate base URL: withUrl(base + "/api?hub=...")
	seq   func(prefix string) string
}

// hub names the combination's hub, e.g. "m3.1_WebSockets_json".
func (m matrixCase) hub() string {
	return fmt.Sprintf("m%s_%s_%s", m.line.Name, m.combo.Transport, m.combo.Protocol)
}

// name names the combination's connection in its driver.
func (m matrixCase) name() string { return m.combo.String() }

// user is the combination's user id.
func (m matrixCase) user() string { return "user-" + m.hub() }

// run connects through the app negotiate endpoint, which redirects the
// client to the gateway (the user id travels as the userId query parameter:
// clients before 5.0 send no custom headers), then proves it receives sends
// to all, to its user, to a group it was added to and to its connection id,
// that an invocation fails with the no-upstream error, that nothing else
// arrived, and that a close with a reason shows the reason.
func (m matrixCase) run(t *testing.T) {
	ctx := context.Background()
	h, name := m.hub(), m.name()
	id := m.js.ConnectWait(t, jsclient.ConnectOptions{
		Name:      name,
		URL:       m.base + "/api?hub=" + url.QueryEscape(h) + "&userId=" + url.QueryEscape(m.user()),
		Transport: m.combo.Transport,
		Protocol:  m.combo.Protocol,
		Methods:   []string{recv},
	}, wait)
	recvd := func(what string, send func(text string) (*mgmt.Response, error)) {
		t.Helper()
		text := m.seq(what)
		status(t, what, http.StatusAccepted)(send(text))
		m.js.ExpectFunc(t, wait, fmt.Sprintf("%s(%q) on %s", recv, text, name), isText(name, recv, text))
	}
	recvd("send to all", func(text string) (*mgmt.Response, error) {
		return m.rest.SendToAll(ctx, h, recv, []any{text})
	})
	recvd("send to user", func(text string) (*mgmt.Response, error) {
		return m.rest.SendToUser(ctx, h, m.user(), recv, []any{text})
	})
	status(t, "add to group", http.StatusOK)(m.rest.AddToGroup(ctx, h, "g", id))
	recvd("send to group", func(text string) (*mgmt.Response, error) {
		return m.rest.SendToGroup(ctx, h, "g", recv, []any{text})
	})
	recvd("send to connection", func(text string) (*mgmt.Response, error) {
		return m.rest.SendToConnection(ctx, h, id, recv, []any{text})
	})
	expectNoUpstream(t, m.js, name)
	recvd("sentinel", func(text string) (*mgmt.Response, error) {
		return m.rest.SendToAll(ctx, h, recv, []any{text})
	})
	if extra := m.js.Pending(jsclient.IsMessage(name, recv)); len(extra) > 0 {
		t.Errorf("%s received unexpected messages: %v", name, extra)
	}
	reason := "bye " + h
	status(t, "close", http.StatusOK)(m.rest.CloseConnection(ctx, h, id, reason))
	closed := m.js.Expect(t, name, jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), reason) {
		t.Errorf("%s closed with %q, want the reason %q", name, closed.ErrorText(), reason)
	}
}

// refused expects the client to refuse the combination (no transport fits)
// and no connection to exist for its user.
func (m matrixCase) refused(t *testing.T) {
	err := m.js.Connect(jsclient.ConnectOptions{
		Name:      m.name(),
		URL:       m.base + "/api?hub=" + url.QueryEscape(m.hub()) + "&userId=" + url.QueryEscape(m.user()),
		Transport: m.combo.Transport,
		Protocol:  m.combo.Protocol,
		Methods:   []string{recv},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := m.js.ExpectFunc(t, wait, "connected or error on "+m.name(), func(e jsclient.Event) bool {
		return e.Name == m.name() && (e.Kind == jsclient.KindConnected || (e.Kind == jsclient.KindError && e.Op == "connect"))
	})
	if ev.Kind != jsclient.KindError {
		t.Fatalf("%s started: %s", m.name(), ev.Raw)
	}
	// 3.1 and later add "'ServerSentEvents' does not support Binary."
	if !strings.Contains(ev.Message, "any of the available transports") {
		t.Errorf("%s failed with %q, want no transport available", m.name(), ev.Message)
	}
	notFound(t, "user of the refused client", codeUserNotExisted)(m.rest.UserExists(context.Background(), m.hub(), m.user()))
}

// lineDriver returns the driver of line l, checking it loaded the pinned
// versions: current when l is the current client's line, else a new one.
func lineDriver(t *testing.T, l jsclient.Line, current *jsclient.Driver) *jsclient.Driver {
	t.Helper()
	js := current
	if l.Client != jsclient.Current {
		js = jsclient.StartClient(t, l.Client)
	}
	if c, m := js.Versions(); c != l.Version || m != l.MsgpackVersion {
		t.Fatalf("driver of line %s loaded %s and %s, want %s and %s", l.Name, c, m, l.Version, l.MsgpackVersion)
	}
	return js
}

// The client matrix (docs/compat/clients.md): every line of jsclient.Lines,
// every transport and hub protocol it supports, one subtest per combination,
// on one emulator without upstream. One driver per line hosts the line's
// combinations; all run in parallel.
func TestClientMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, l := range jsclient.Lines {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			js := lineDriver(t, l, e.js)
			for _, k := range l.Combos() {
				m := matrixCase{line: l, combo: k, js: js, rest: e.rest, base: e.srv.URL(), seq: e.payload}
				t.Run(k.String(), func(t *testing.T) {
					t.Parallel()
					m.run(t)
				})
			}
			for _, k := range l.Refused() {
				m := matrixCase{line: l, combo: k, js: js, rest: e.rest, base: e.srv.URL(), seq: e.payload}
				t.Run(k.String()+"-refused", func(t *testing.T) {
					t.Parallel()
					m.refused(t)
				})
			}
		})
	}
}

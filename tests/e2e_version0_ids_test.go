package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// nextTrace waits for the first live trace event that match accepts.
func nextTrace(t *testing.T, events <-chan diag.Event, what string, match func(diag.Event) bool) diag.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("live trace stream ended before %s", what)
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no live trace event for %s within %v", what, wait)
		}
	}
}

// sameID fails the test unless the live trace event ev names connection id.
func sameID(t *testing.T, ev diag.Event, what, id string) {
	t.Helper()
	if ev.ConnectionID != id {
		t.Errorf("%s: live trace names connection %q, want %q", what, ev.ConnectionID, id)
	}
}

// listGroup returns the connection ids and user ids of the presence
// listing of group (GET /groups/{group}/connections, 2024-12-01).
func listGroup(t *testing.T, rest *mgmt.Client, group string) map[string]string {
	t.Helper()
	resp := status(t, "list "+group, http.StatusOK)(rest.Do(context.Background(), http.MethodGet, hub,
		"/groups/"+mgmt.Escape(group)+"/connections", nil, nil))
	var page struct {
		Value []struct {
			ConnectionID string `json:"connectionId"`
			UserID       string `json:"userId"`
		} `json:"value"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		t.Fatalf("list %s: %s: %v", group, resp.Body, err)
	}
	out := map[string]string{}
	for _, m := range page.Value {
		out[m.ConnectionID] = m.UserID
	}
	return out
}

// The id an @aspnet/signalr 1.1.4 client (negotiate version 0) holds is
// the id of its connection in the places that name connections besides
// REST and the upstream (TestAspNetSignalR1): the gateway's log lines, the
// live trace's connection and delivery events, and the presence listing
// of a group; over every transport and protocol the client has.
func TestAspNetSignalR1IDEverywhere(t *testing.T) {
	t.Parallel()
	logs := &testsupport.Buffer{}
	e := newEnvClient(t, jsclient.AspNetSignalR1, func(c *node.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("emulator logs:\n%s", logs.String())
		}
	})
	events := liveStream(t, e.srv.URL())
	ctx := context.Background()
	loggedWith := func(msg, id string) bool {
		records, err := logs.Records(msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if r["connectionId"] == id {
				return true
			}
		}
		return false
	}
	for i, k := range jsclient.Lines[0].Combos() {
		name, user, group := k.String(), fmt.Sprintf("v0-ids-%d", i), "v0-ids-"+k.String()
		id := e.js.ConnectWait(t, jsclient.ConnectOptions{
			Name:      name,
			URL:       e.clientURL() + "&userId=" + url.QueryEscape(user),
			Transport: k.Transport,
			Protocol:  k.Protocol,
			Methods:   []string{recv},
		}, wait)

		sameID(t, nextTrace(t, events, "ConnectionStarted of "+name, func(ev diag.Event) bool {
			return ev.Name == diag.ConnectionStarted && ev.UserID == user
		}), "ConnectionStarted", id)
		eventually(t, "a connection started log line naming "+id, func() bool { return loggedWith("connection started", id) })

		status(t, "add to group", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id))
		if got := listGroup(t, e.rest, group); len(got) != 1 || got[id] != user {
			t.Errorf("%s: group listing %v, want only %s of %s", name, got, id, user)
		}
		text := e.payload("v0")
		status(t, "send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
		e.expectRecv(t, name, text)
		sameID(t, nextTrace(t, events, "MessageDelivered to "+name, func(ev diag.Event) bool {
			return ev.Name == diag.MessageDelivered && ev.UserID == user
		}), "MessageDelivered", id)

		ok(t, "close")(e.rest.CloseConnection(ctx, hub, id, "v0 ids"))
		e.js.Expect(t, name, jsclient.KindClosed, wait)
		sameID(t, nextTrace(t, events, "the end of "+name, func(ev diag.Event) bool {
			return (ev.Name == diag.ConnectionAborted || ev.Name == diag.ConnectionEnded) && ev.UserID == user
		}), "the connection's end", id)
		eventually(t, "a connection ended log line naming "+id, func() bool { return loggedWith("connection ended", id) })
	}
}

package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// golden reads a frame captured from the official client (shared/hubproto/testdata).
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "shared", "hubproto", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Management SDK's application/octet-stream body (a MessagePack map from protocol
// name to a framed invocation) reaches JSON and MessagePack clients, each with the
// record of its protocol. The records are frames another encoder wrote (the official
// client's `send("fire", null)` and `send("fire")`), so their arguments differ per
// protocol and show which record each client got.
func TestBinaryPayloadReachesEachProtocol(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, user string
		p          jsclient.Protocol
	}{{"j", "alice", jsclient.JSON}, {"m", "bob", jsclient.MessagePack}} {
		e.js.ConnectWait(t, jsclient.ConnectOptions{
			Name: c.name, URL: e.clientURL(), Transport: jsclient.WebSockets, Protocol: c.p,
			Methods: []string{recv, "fire"}, Headers: map[string]string{userHeader: c.user},
		}, wait)
	}
	jsonRec := mgmt.Framed{Protocol: "json", Record: golden(t, "client-invocation-nonblocking.bin")}
	mpRec := mgmt.Framed{Protocol: "messagepack", Record: golden(t, "msgpack-client-invocation-nonblocking.bin")}

	status(t, "binary send to all", http.StatusAccepted)(e.rest.SendToAllBinary(ctx, hub, mgmt.PayloadMap(jsonRec, mpRec)))
	fire := func(name, args string) {
		t.Helper()
		ev := e.js.ExpectMessage(t, name, "fire", wait)
		if got := "[" + string(joinRaw(ev.Args)) + "]"; got != args {
			t.Errorf("%s got fire%s, want fire%s", name, got, args)
		}
	}
	fire("j", "[null]")
	fire("m", "[]")

	// A map without a client's protocol reaches only the others.
	status(t, "binary send to bob", http.StatusAccepted)(e.rest.SendToUserBinary(ctx, hub, "bob", mgmt.PayloadMap(mpRec)))
	status(t, "binary send to all, json only", http.StatusAccepted)(e.rest.SendToAllBinary(ctx, hub, mgmt.PayloadMap(jsonRec)))
	fire("m", "[]")
	fire("j", "[null]")
	e.settle(t, "j", "m")
	for _, name := range []string{"j", "m"} {
		if extra := e.js.Pending(jsclient.IsMessage(name, "fire")); len(extra) > 0 {
			t.Errorf("%s received unexpected messages: %v", name, extra)
		}
	}

	// A body that is not such a map is refused with a reason.
	r := status(t, "bad binary send", http.StatusBadRequest)(e.rest.SendToAllBinary(ctx, hub, []byte(`{"target":"fire"}`)))
	if !strings.Contains(string(r.Body), "MessagePack map") {
		t.Errorf("bad binary send: %s", r)
	}
}

// The Management SDK's binary payload reaches Server-Sent Events and Long Polling
// clients too: they get the record of their protocol without the WebSocket frame
// header the gateway keeps it in, which the official client parses.
func TestBinaryPayloadReachesHTTPTransports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kinds := []combo{combos[2], combos[3], combos[4]} // sse-json, lp-json, lp-msgpack
	for _, k := range kinds {
		opts := k.options(e.clientURL(), false)
		opts.Methods = []string{recv, "fire"}
		e.js.ConnectWait(t, opts, wait)
	}
	jsonRec := mgmt.Framed{Protocol: "json", Record: golden(t, "client-invocation-nonblocking.bin")}
	mpRec := mgmt.Framed{Protocol: "messagepack", Record: golden(t, "msgpack-client-invocation-nonblocking.bin")}
	status(t, "binary send to all", http.StatusAccepted)(e.rest.SendToAllBinary(context.Background(), hub, mgmt.PayloadMap(jsonRec, mpRec)))
	for _, k := range kinds {
		want := "[null]" // the JSON record's arguments
		if k.protocol == jsclient.MessagePack {
			want = "[]"
		}
		ev := e.js.ExpectMessage(t, k.name, "fire", wait)
		if got := "[" + string(joinRaw(ev.Args)) + "]"; got != want {
			t.Errorf("%s got fire%s, want fire%s", k.name, got, want)
		}
	}
}

func joinRaw(args []json.RawMessage) []byte {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, a...)
	}
	return b
}

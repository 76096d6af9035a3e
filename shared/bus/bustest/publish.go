package bustest

import (
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testPublishAllScopes: every subscriber sees every send and close once,
// in publish order, with every field intact.
func testPublishAllScopes(t *testing.T, e *env) {
	r1, r2 := e.subscribe(), e.subscribe()
	want := []*bus.Envelope{
		sendEnv(e.hub, bus.ScopeAll, "", "all"),
		sendEnv(e.hub, bus.ScopeConnection, "c1", "conn"),
		sendEnv(e.hub, bus.ScopeUser, "u1", "user"),
		sendEnv(e.hub, bus.ScopeGroup, "g1", "group"),
		closeEnv(e.hub, bus.ScopeAll, "", "shutdown"),
		closeEnv(e.hub, bus.ScopeConnection, "c1", ""),
		closeEnv(e.hub, bus.ScopeUser, "u1", "kicked"),
		closeEnv(e.hub, bus.ScopeGroup, "g1", "group closed"),
	}
	want[0].TraceID = "trace-1"
	want[6].TraceID = "trace-close" // tracing ids travel on every kind
	want[3].Message.Arguments = []byte(`[{"a":[1,2.5,"x"],"b":null},true]`)
	for _, m := range want {
		e.publish(m)
	}
	r1.expect(t, want...)
	r2.expect(t, want...)
	e.fence(r1, r2)
}

// testPublishExcluded: excluded connection ids reach subscribers unchanged
// and in order; the bus does not filter them itself.
func testPublishExcluded(t *testing.T, e *env) {
	r := e.subscribe()
	want := []*bus.Envelope{
		sendEnv(e.hub, bus.ScopeAll, "", "all", "c2", "c1"),
		sendEnv(e.hub, bus.ScopeGroup, "g1", "group", "c1"),
		closeEnv(e.hub, bus.ScopeAll, "", "bye", "c3", "c1", "c2"),
		closeEnv(e.hub, bus.ScopeGroup, "g1", "bye", "c1"),
	}
	for _, m := range want {
		e.publish(m)
	}
	r.expect(t, want...)
	e.fence(r)
}

// testPublishFramed: pre-encoded records reach subscribers byte for byte,
// whatever bytes they hold, and a missing record stays missing.
func testPublishFramed(t *testing.T, e *env) {
	r := e.subscribe()
	jsonRec := []byte("{\"type\":1,\"target\":\"t\",\"arguments\":[\"<&>\\u2028\"]}\x1e")
	mpRec := []byte{0x0c, 0x95, 0x01, 0x80, 0xc0, 0xa1, 't', 0x91, 0xc4, 0x03, 0x00, 0xff, 0x1e}
	want := []*bus.Envelope{
		framedEnv(e.hub, bus.ScopeAll, "", "t", jsonRec, mpRec),
		framedEnv(e.hub, bus.ScopeGroup, "g1", "t", nil, mpRec),
		framedEnv(e.hub, bus.ScopeConnection, "c1", "t", jsonRec, nil),
	}
	want[0].Excluded = []string{"c2"}
	for _, m := range want {
		e.publish(m)
	}
	r.expect(t, want...)
	e.fence(r)
}

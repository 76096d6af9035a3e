package bustest

import (
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// byteNames are valid UTF-8 names that a careless encoding would change:
// U+FFFD itself (what invalid bytes would collapse to), JSON escapes, a
// NUL, line separators, HTML characters, braces-free key delimiters.
var byteNames = []string{"\uFFFD", "\uFFFD\uFFFD", "a\x00b", "\u2028\u2029", `<&>"\/`, "g:1", "é", "e\u0301", " "}

// testNamesByteExact: every valid UTF-8 name reaches the gateways' index,
// the membership state and the existence checks byte for byte, so two
// names that differ in one byte never meet.
func testNamesByteExact(t *testing.T, e *env) {
	r := e.subscribe()
	for i, g := range byteNames {
		id := "c" + string(rune('a'+i))
		e.register(id, g)
		e.addToGroup(g, id)
		e.publish(sendEnv(e.hub, bus.ScopeGroup, g, "m"))
		e.publish(sendEnv(e.hub, bus.ScopeUser, g, "m"))
		e.publish(closeEnv(e.hub, bus.ScopeConnection, id, g, id))
		r.expect(t,
			memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, id, g),
			sendEnv(e.hub, bus.ScopeGroup, g, "m"),
			sendEnv(e.hub, bus.ScopeUser, g, "m"),
			closeEnv(e.hub, bus.ScopeConnection, id, g, id),
		)
		e.wantGroup(g, true)
		e.wantUser(g, true)
		e.wantUserInGroup(g, g, true)
	}
	for _, g := range byteNames {
		e.wantGroup(g+"x", false)
	}
	e.fence(r)
}

// testNamesInvalidUTF8: names and texts that are not valid UTF-8 are
// refused with ErrInvalidArgument by every call (JSON, the form envelopes
// travel in, cannot hold them: "\xfe" and "\xff" would both become U+FFFD),
// and nothing is delivered.
func testNamesInvalidUTF8(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	ctx, b, gw, h := e.ctx, e.api, e.gw, e.hub
	bad := "a\xfeb"
	presence := func(_ bool, err error) error { return err }
	pub := func(m *bus.Envelope) error { return b.Publish(ctx, m) }
	badArgs := sendEnv(h, bus.ScopeAll, "", "x")
	badArgs.Message.Arguments = []byte("[\"\xff\"]")
	badTarget := sendEnv(h, bus.ScopeAll, "", "x")
	badTarget.Message.Target = bad
	calls := []struct {
		name string
		err  error
	}{
		{"Register id", func() error { _, err := gw.Register(ctx, bus.Conn{Hub: h, ID: bad}); return err }()},
		{"Register user", func() error { _, err := gw.Register(ctx, bus.Conn{Hub: h, ID: "c9", User: bad}); return err }()},
		{"AddToGroup group", b.AddToGroup(ctx, h, bad, "c1")},
		{"AddToGroup id", b.AddToGroup(ctx, h, "g", bad)},
		{"RemoveFromGroup group", b.RemoveFromGroup(ctx, h, bad, "c1")},
		{"AddUserToGroup group", b.AddUserToGroup(ctx, h, bad, "u1", -1)},
		{"AddUserToGroup user", b.AddUserToGroup(ctx, h, "g", bad, -1)},
		{"RemoveUserFromGroup user", b.RemoveUserFromGroup(ctx, h, "g", bad)},
		{"GroupExists", presence(b.GroupExists(ctx, h, bad))},
		{"UserExists", presence(b.UserExists(ctx, h, bad))},
		{"ConnectionExists", presence(b.ConnectionExists(ctx, h, bad))},
		{"UserInGroup", presence(b.UserInGroup(ctx, h, "g", bad))},
		{"Publish group", pub(sendEnv(h, bus.ScopeGroup, bad, "x"))},
		{"Publish excluded", pub(sendEnv(h, bus.ScopeAll, "", "x", bad))},
		{"Publish target", pub(badTarget)},
		{"Publish arguments", pub(badArgs)},
		{"Publish reason", pub(closeEnv(h, bus.ScopeConnection, "c1", bad))},
	}
	for _, c := range calls {
		if !errors.Is(c.err, bus.ErrInvalidArgument) {
			t.Errorf("%s with invalid UTF-8 = %v, want ErrInvalidArgument", c.name, c.err)
		}
	}
	e.wantGroup("a\uFFFDb", false)
	e.wantConn("c1", true)
	e.fence(r)
}

package bustest

import (
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testGroups: connection-level membership updates state and delivers its
// envelopes in call order; an emptied group disappears.
func testGroups(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	e.register("c2", "u2")
	conn := func(kind bus.Kind, id, group string) *bus.Envelope {
		return memberEnv(e.hub, kind, bus.ScopeConnection, id, group)
	}

	e.addToGroup("g1", "c1")
	e.wantGroup("g1", true)
	e.wantUserInGroup("g1", "u1", true)
	e.wantUserInGroup("g1", "u2", false)
	e.addToGroup("g2", "c1")
	e.addToGroup("g1", "c2")

	e.removeFromGroup("g1", "c1")
	e.wantGroup("g1", true)
	e.wantUserInGroup("g1", "u1", false)
	e.removeFromGroup("g1", "c2")
	e.wantGroup("g1", false)
	e.wantGroup("g2", true)

	e.ok("RemoveFromAllGroups", e.api.RemoveFromAllGroups(e.ctx, e.hub, "c1"))
	e.wantGroup("g2", false)
	e.wantUserInGroup("g2", "u1", false)
	e.wantConn("c1", true)

	r.expect(t,
		conn(bus.KindAddToGroup, "c1", "g1"),
		conn(bus.KindAddToGroup, "c1", "g2"),
		conn(bus.KindAddToGroup, "c2", "g1"),
		conn(bus.KindRemoveFromGroup, "c1", "g1"),
		conn(bus.KindRemoveFromGroup, "c2", "g1"),
		conn(bus.KindRemoveFromAllGroups, "c1", ""),
	)
	e.fence(r)
}

package bustest

import (
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

func (e *env) userEnv(kind bus.Kind, user, group string) *bus.Envelope {
	return memberEnv(e.hub, kind, bus.ScopeUser, user, group)
}

// joinEnv is what Register delivers for a group the connection joins
// through its user's membership.
func (e *env) joinEnv(id, group string) *bus.Envelope {
	return memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, id, group)
}

// testUserGroupNoExpiry: ttl < 0 adds current connections and records the
// membership for later ones until it is removed.
func testUserGroupNoExpiry(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	e.addUser("g", "u1", -1)
	e.wantGroup("g", true)
	e.wantUserInGroup("g", "u1", true)
	e.wantGroups("c2", "u1", "g")
	e.wantGroups("c3", "u2")
	e.wantUserInGroup("g", "u2", false)

	e.unregister("c1")
	e.unregister("c2")
	e.wantGroup("g", false)
	e.wantUserInGroup("g", "u1", true)
	e.wantGroups("c4", "u1", "g")
	e.wantGroup("g", true)

	e.removeUser("g", "u1")
	e.wantGroup("g", false)
	e.wantUserInGroup("g", "u1", false)
	e.wantGroups("c5", "u1")

	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", "g"),
		e.joinEnv("c2", "g"),
		e.joinEnv("c4", "g"),
		e.userEnv(bus.KindRemoveFromGroup, "u1", "g"),
	)
	e.fence(r)
}

// testUserGroupTTLZero: ttl == 0 adds only the current connections and
// records nothing.
func testUserGroupTTLZero(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	e.addUser("g", "u1", 0)
	e.wantGroup("g", true)
	e.wantUserInGroup("g", "u1", true)
	e.wantGroups("c2", "u1")
	e.unregister("c1")
	e.wantGroup("g", false)
	e.wantUserInGroup("g", "u1", false)

	e.addUser("g2", "nobody", 0)
	e.wantGroup("g2", false)
	e.wantUserInGroup("g2", "nobody", false)

	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", "g"),
		e.userEnv(bus.KindAddToGroup, "nobody", "g2"),
	)
	e.fence(r)
}

// testUserGroupExpiry: a membership with ttl > 0 expires on its own: the
// bus delivers its removal, takes the user's connections out of the group
// and stops adding new ones. Other memberships stay.
func testUserGroupExpiry(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	e.addUser("g", "u1", time.Second)
	e.addUser("long", "u1", time.Hour)
	e.wantUserInGroup("g", "u1", true)
	e.wantGroups("c2", "u1", "g", "long")
	e.wantGroup("g", true)
	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", "g"),
		e.userEnv(bus.KindAddToGroup, "u1", "long"),
		e.joinEnv("c2", "g"),
		e.joinEnv("c2", "long"),
	)

	r.expect(t, e.userEnv(bus.KindRemoveFromGroup, "u1", "g"))
	e.wantUserInGroup("g", "u1", false)
	e.wantGroup("g", false)
	e.wantUserInGroup("long", "u1", true)
	e.wantGroup("long", true)
	e.wantGroups("c3", "u1", "long")
	r.expect(t, e.joinEnv("c3", "long"))
	e.fence(r)
}

// testRegisterAfterAddUser: a membership recorded while the user has no
// connection makes the user's next connection join.
func testRegisterAfterAddUser(t *testing.T, e *env) {
	r := e.subscribe()
	e.addUser("g", "u1", -1)
	e.addUser("g2", "u1", time.Hour)
	e.wantUser("u1", false)
	e.wantUserInGroup("g", "u1", true)
	e.wantUserInGroup("g2", "u1", true)
	e.wantGroup("g", false)

	e.wantGroups("c1", "u1", "g", "g2")
	e.wantGroup("g", true)
	e.wantGroup("g2", true)
	e.wantGroups("c2", "u2")

	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", "g"),
		e.userEnv(bus.KindAddToGroup, "u1", "g2"),
		e.joinEnv("c1", "g"),
		e.joinEnv("c1", "g2"),
	)
	e.fence(r)
}

// testRemoveUserFromAllGroups removes every membership of the user and
// every connection of the user from every group, whichever way it joined.
func testRemoveUserFromAllGroups(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	e.register("c2", "u1")
	e.register("c3", "u2")
	e.addUser("g1", "u1", -1)
	e.addUser("g2", "u1", time.Hour)
	e.addToGroup("g3", "c1")
	e.addToGroup("g3", "c3")

	e.ok("RemoveUserFromAllGroups", e.api.RemoveUserFromAllGroups(e.ctx, e.hub, "u1"))
	e.wantGroup("g1", false)
	e.wantGroup("g2", false)
	e.wantGroup("g3", true)
	for _, g := range []string{"g1", "g2", "g3"} {
		e.wantUserInGroup(g, "u1", false)
	}
	e.wantUserInGroup("g3", "u2", true)
	e.wantGroups("c4", "u1")
	e.wantConn("c1", true)

	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", "g1"),
		e.userEnv(bus.KindAddToGroup, "u1", "g2"),
		memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, "c1", "g3"),
		memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, "c3", "g3"),
		e.userEnv(bus.KindRemoveFromAllGroups, "u1", ""),
	)
	e.fence(r)
}

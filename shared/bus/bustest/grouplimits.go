package bustest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// testGroupLimits: with the default bus.GroupLimits, a connection joins at
// most bus.DefaultMaxConnectionGroups groups and a user records at most
// bus.DefaultMaxUserGroups memberships; one more is refused with
// ErrLimitReached and delivers nothing, rejoining a group it is in and
// ttl 0 are not refused, and leaving a group makes room.
func testGroupLimits(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "")
	for i := range bus.DefaultMaxConnectionGroups {
		e.addToGroup(fmt.Sprintf("g%d", i), "c1")
	}
	for i := range bus.DefaultMaxUserGroups {
		// With a ttl: only bus.MaxUserGroupsWithoutTTL memberships without
		// one are kept (testUserGroupCaps).
		e.addUser(fmt.Sprintf("g%d", i), "u1", time.Hour)
	}
	r.take(t, bus.DefaultMaxConnectionGroups+bus.DefaultMaxUserGroups)
	wantLimit := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, bus.ErrLimitReached) {
			t.Fatalf("%s = %v, want ErrLimitReached", what, err)
		}
	}
	wantLimit("AddToGroup over the connection's limit", e.api.AddToGroup(e.ctx, e.hub, "extra", "c1"))
	wantLimit("AddUserToGroup over the user's limit", e.api.AddUserToGroup(e.ctx, e.hub, "extra", "u1", -1))
	wantLimit("AddUserToGroup with a ttl over the user's limit", e.api.AddUserToGroup(e.ctx, e.hub, "extra", "u1", 3600e9))
	e.wantGroup("extra", false)
	e.wantUserInGroup("extra", "u1", false)
	e.fence(r)

	e.addToGroup("g0", "c1")      // already in it
	e.addUser("g0", "u1", -1)     // already recorded
	e.addUser("extra", "u1", 0)   // records nothing
	e.addUser("extra", "u2", -1)  // another user
	e.removeFromGroup("g1", "c1") // room for one
	e.addToGroup("extra", "c1")
	e.removeUser("g1", "u1")
	e.addUser("extra", "u1", -1)
	e.wantUserInGroup("extra", "u1", true)
	r.expect(t,
		memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, "c1", "g0"),
		e.userEnv(bus.KindAddToGroup, "u1", "g0"),
		e.userEnv(bus.KindAddToGroup, "u1", "extra"),
		e.userEnv(bus.KindAddToGroup, "u2", "extra"),
		memberEnv(e.hub, bus.KindRemoveFromGroup, bus.ScopeConnection, "c1", "g1"),
		memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, "c1", "extra"),
		e.userEnv(bus.KindRemoveFromGroup, "u1", "g1"),
		e.userEnv(bus.KindAddToGroup, "u1", "extra"),
	)
	e.fence(r)
}

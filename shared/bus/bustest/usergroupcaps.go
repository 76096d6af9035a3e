package bustest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// testUserGroupCaps: of a user's memberships added without ttl, only the
// bus.MaxUserGroupsWithoutTTL most recently added are kept; one more
// removes the oldest (its connections leave the group, and a
// KindRemoveFromGroup envelope with ScopeUser follows the add). Adding a
// group again makes it the newest; memberships with a ttl, and other users,
// do not count; giving a membership a ttl takes it out of the count.
func testUserGroupCaps(t *testing.T, e *env) {
	const n = bus.MaxUserGroupsWithoutTTL
	g := func(i int) string { return fmt.Sprintf("g%d", i) }
	r := e.subscribe()
	e.register("c1", "u1")
	for i := range n {
		e.addUser(g(i), "u1", -1)
	}
	e.addUser("timed", "u1", time.Hour) // has a ttl: not counted
	e.addUser(g(0), "u2", -1)           // another user
	r.take(t, n+2)

	e.addUser(g(0), "u1", -1) // g0 becomes the newest
	e.addUser(g(n), "u1", -1) // one over: g1, now the oldest, goes
	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", g(0)),
		e.userEnv(bus.KindAddToGroup, "u1", g(n)),
		e.userEnv(bus.KindRemoveFromGroup, "u1", g(1)),
	)
	e.wantUserInGroup(g(1), "u1", false)
	e.wantUserInGroup(g(0), "u1", true)
	e.wantUserInGroup(g(n), "u1", true)
	e.wantUserInGroup("timed", "u1", true)
	e.wantUserInGroup(g(0), "u2", true)

	e.addUser(g(2), "u1", time.Hour) // now timed: out of the count
	e.addUser(g(n+1), "u1", -1)      // 100 without ttl again: nothing goes
	r.expect(t,
		e.userEnv(bus.KindAddToGroup, "u1", g(2)),
		e.userEnv(bus.KindAddToGroup, "u1", g(n+1)),
	)
	e.wantUserInGroup(g(2), "u1", true)
	e.wantUserInGroup(g(3), "u1", true)
	// A connection of u1 opened now joins exactly the kept groups.
	want := wantCapGroups(n + 1)
	e.wantGroups("c2", "u1", want...)
	r.take(t, len(want))
	e.fence(r)
}

// wantCapGroups lists the groups c2 of u1 joins in testUserGroupCaps, sorted
// as wantGroups compares them: g0, g2..g<last> and timed.
func wantCapGroups(last int) []string {
	out := []string{"timed"}
	for i := 0; i <= last; i++ {
		if i != 1 {
			out = append(out, fmt.Sprintf("g%d", i))
		}
	}
	slices.Sort(out)
	return out
}

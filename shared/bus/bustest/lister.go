package bustest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testGroupLister: for buses that implement bus.GroupLister, a group of
// 25 connections of two users and an anonymous one is listed page by page
// (pages of at most 10, so at least three), every member exactly once
// with its user; connections outside the group are not listed; an unknown
// group lists nothing; a malformed cursor or a page size below 1 fails
// with ErrInvalidArgument. Skipped for buses without the capability.
func testGroupLister(t *testing.T, e *env) {
	l, ok := e.api.(bus.GroupLister)
	if !ok {
		t.Skip("bus does not implement bus.GroupLister")
	}
	want := map[string]string{} // connection id → user
	for i := range 25 {
		id, user := fmt.Sprintf("c%02d", i), "u1"
		switch {
		case i == 7:
			user = ""
		case i%2 == 1:
			user = "u2"
		}
		e.register(id, user)
		e.addToGroup("g1", id)
		want[id] = user
	}
	e.register("outside", "u1")
	e.addToGroup("g2", "outside")
	e.register("left", "u2")
	e.addToGroup("g1", "left")
	e.removeFromGroup("g1", "left")

	const max = 10
	got := map[string]string{}
	cursor, pages := "", 0
	for {
		ms, next, err := l.GroupConnections(e.ctx, e.hub, "g1", max, cursor)
		e.ok(fmt.Sprintf("GroupConnections page %d", pages+1), err)
		if pages++; pages > 50 {
			t.Fatal("listing does not end")
		}
		if len(ms) > max {
			t.Fatalf("page %d has %d members, max %d", pages, len(ms), max)
		}
		for _, m := range ms {
			if _, dup := got[m.ConnectionID]; dup {
				t.Fatalf("%s listed twice", m.ConnectionID)
			}
			got[m.ConnectionID] = m.UserID
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if pages < 3 {
		t.Errorf("%d pages, want at least 3", pages)
	}
	if len(got) != len(want) {
		t.Errorf("listed %d members, want %d: %v", len(got), len(want), got)
	}
	for id, user := range want {
		if u, ok := got[id]; !ok {
			t.Errorf("%s not listed", id)
		} else if u != user {
			t.Errorf("%s listed with user %q, want %q", id, u, user)
		}
	}

	ms, next, err := l.GroupConnections(e.ctx, e.hub, "nobody", max, "")
	if err != nil || len(ms) != 0 || next != "" {
		t.Errorf("unknown group = %v, %q, %v; want nothing", ms, next, err)
	}
	for _, bad := range []struct {
		max    int
		cursor string
	}{{max, "!!not a cursor!!"}, {0, ""}, {-1, ""}} {
		_, _, err := l.GroupConnections(e.ctx, e.hub, "g1", bad.max, bad.cursor)
		if !errors.Is(err, bus.ErrInvalidArgument) {
			t.Errorf("GroupConnections(max %d, cursor %q) = %v, want ErrInvalidArgument", bad.max, bad.cursor, err)
		}
	}
}

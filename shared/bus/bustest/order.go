package bustest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testMembershipOrder: a membership change that returned before a publish
// started is seen before it. Four workers interleave 200 iterations of
// add, send to the group, remove; even workers change a connection, odd
// workers a user. Both subscribers see each worker's steps in order and
// the same overall sequence (across nodes: one subscriber on each).
func testMembershipOrder(t *testing.T, e *env) {
	const workers, iters = 4, 50
	r1, r2 := e.subscribe(), e.subscribeOn(e.api)
	for w := range workers {
		e.register(fmt.Sprintf("c%d", w), fmt.Sprintf("u%d", w))
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			conn, user := fmt.Sprintf("c%d", w), fmt.Sprintf("u%d", w)
			for i := range iters {
				g := fmt.Sprintf("g%d_%d", w, i)
				if !step(t, e, w%2 == 0, conn, user, g) {
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	got1 := r1.take(t, workers*iters*3)
	got2 := r2.take(t, workers*iters*3)
	if d1, d2 := describeEach(got1), describeEach(got2); !slices.Equal(d1, d2) {
		t.Fatalf("subscribers disagree on order:\n%s\n--- vs ---\n%s", strings.Join(d1, "\n"), strings.Join(d2, "\n"))
	}
	for w := range workers {
		conn, user := fmt.Sprintf("c%d", w), fmt.Sprintf("u%d", w)
		var want []string
		for i := range iters {
			g := fmt.Sprintf("g%d_%d", w, i)
			add := memberEnv(e.hub, bus.KindAddToGroup, bus.ScopeConnection, conn, g)
			rem := memberEnv(e.hub, bus.KindRemoveFromGroup, bus.ScopeConnection, conn, g)
			if w%2 == 1 {
				add.Scope, add.ID, rem.Scope, rem.ID = bus.ScopeUser, user, bus.ScopeUser, user
			}
			want = append(want, describe(add), describe(sendEnv(e.hub, bus.ScopeGroup, g, g)), describe(rem))
		}
		prefix := fmt.Sprintf("g%d_", w)
		var got []string
		for _, m := range got1 {
			if strings.HasPrefix(m.Group, prefix) || m.Kind == bus.KindSend && strings.HasPrefix(m.ID, prefix) {
				got = append(got, describe(m))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("worker %d saw\n%s\nwant\n%s", w, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	e.fence(r1, r2)
}

// step adds conn (or user) to g, sends to g and removes it again,
// reporting errors with t.Errorf; it reports whether all succeeded.
func step(t *testing.T, e *env, byConn bool, conn, user, g string) bool {
	var err error
	if byConn {
		err = e.api.AddToGroup(e.ctx, e.hub, g, conn)
	} else {
		err = e.api.AddUserToGroup(e.ctx, e.hub, g, user, -1)
	}
	if err == nil {
		err = e.api.Publish(e.ctx, sendEnv(e.hub, bus.ScopeGroup, g, g))
	}
	if err == nil && byConn {
		err = e.api.RemoveFromGroup(e.ctx, e.hub, g, conn)
	} else if err == nil {
		err = e.api.RemoveUserFromGroup(e.ctx, e.hub, g, user)
	}
	if err != nil {
		t.Errorf("group %s: %v", g, err)
		return false
	}
	return true
}

// testConcurrentPublishers: eight goroutines publish at once; every
// subscriber sees every envelope once, each publisher's in order, and all
// subscribers see the same sequence. Half the publishers use each node, and
// each node has a subscriber.
func testConcurrentPublishers(t *testing.T, e *env) {
	const workers, each = 8, 100
	r1, r2 := e.subscribe(), e.subscribeOn(e.api)
	var wg sync.WaitGroup
	for w := range workers {
		b := e.api
		if w%2 == 0 {
			b = e.gw
		}
		wg.Go(func() {
			for i := range each {
				m := sendEnv(e.hub, bus.ScopeGroup, fmt.Sprintf("w%d", w), strconv.Itoa(i))
				if err := b.Publish(e.ctx, m); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	got1, got2 := r1.take(t, workers*each), r2.take(t, workers*each)
	if d1, d2 := describeEach(got1), describeEach(got2); !slices.Equal(d1, d2) {
		t.Fatalf("subscribers disagree on order")
	}
	next := make(map[string]int)
	for _, m := range got1 {
		if m.Kind != bus.KindSend || m.Message == nil {
			t.Fatalf("unexpected envelope %s", describe(m))
		}
		if want := strconv.Itoa(next[m.ID]); m.Message.Target != want {
			t.Fatalf("publisher %s: got message %s, want %s", m.ID, m.Message.Target, want)
		}
		next[m.ID]++
	}
	if len(next) != workers {
		t.Fatalf("saw %d publishers, want %d", len(next), workers)
	}
	e.fence(r1, r2)
}

package redisbus

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// trackedHub returns memberships tracking n connections "c<i>" of users
// "u<i>" in hub "hub".
func trackedHub(n int) *memberships {
	m := new(memberships)
	m.init()
	for i := range n {
		m.add("hub", fmt.Sprintf("c%d", i), fmt.Sprintf("u%d", i), nil)
	}
	return m
}

func userEnvelope(kind bus.Kind, user, group string) *bus.Envelope {
	return &bus.Envelope{Kind: kind, Hub: "hub", Scope: bus.ScopeUser, ID: user, Group: group}
}

// TestMembershipsUserEnvelopes checks that user-level envelopes change
// the groups of exactly the user's tracked connections, including one
// whose user was learned after it was first tracked, and none once a
// connection is no longer tracked.
func TestMembershipsUserEnvelopes(t *testing.T) {
	m := trackedHub(3)
	m.add("hub", "late", "", nil) // an envelope's or a takeover's first sight
	m.add("hub", "late", "u1", nil)
	m.add("hub", "late", "u2", nil) // a known user does not change
	m.add("hub", "c1b", "u1", nil)

	m.apply(userEnvelope(bus.KindAddToGroup, "u1", "g"))
	m.apply(userEnvelope(bus.KindAddToGroup, "u1", "h"))
	m.apply(userEnvelope(bus.KindAddToGroup, "u2", "g"))
	for conn, want := range map[string][]string{
		"c0": nil, "c1": {"g", "h"}, "c1b": {"g", "h"}, "late": {"g", "h"}, "c2": {"g"},
	} {
		if got := m.groups("hub", conn); !slices.Equal(got, want) {
			t.Errorf("groups of %s after joins = %v, want %v", conn, got, want)
		}
	}

	m.apply(userEnvelope(bus.KindRemoveFromGroup, "u1", "g"))
	if got := m.groups("hub", "c1"); !slices.Equal(got, []string{"h"}) {
		t.Errorf("groups of c1 after leaving g = %v, want [h]", got)
	}
	m.apply(userEnvelope(bus.KindRemoveFromAllGroups, "u1", ""))
	for _, conn := range []string{"c1", "c1b", "late"} {
		if got := m.groups("hub", conn); len(got) != 0 {
			t.Errorf("groups of %s after leaving all = %v, want none", conn, got)
		}
	}

	m.remove("hub", "c1")
	m.remove("hub", "late")
	m.apply(userEnvelope(bus.KindAddToGroup, "u1", "k"))
	if got := m.groups("hub", "c1b"); !slices.Equal(got, []string{"k"}) {
		t.Errorf("groups of c1b = %v, want [k]", got)
	}
	if got := len(m.hubs["hub"].users["u1"]); got != 1 {
		t.Errorf("u1 indexes %d connections after two left, want 1", got)
	}
	for _, c := range []string{"c0", "c1b", "c2"} {
		m.remove("hub", c)
	}
	if len(m.hubs) != 0 {
		t.Errorf("%d hubs tracked after every connection left, want none", len(m.hubs))
	}
}

// TestMembershipsUserJoinCost checks that applying a user-level envelope
// costs time in proportion to the user's connections, not to the hub's:
// every gateway node applies every such envelope of its hubs.
func TestMembershipsUserJoinCost(t *testing.T) {
	// fastest returns the least time of several runs of 100 applies.
	fastest := func(m *memberships) time.Duration {
		e := userEnvelope(bus.KindAddToGroup, "u7", "g")
		best := time.Duration(1 << 62)
		for range 20 {
			start := time.Now()
			for range 100 {
				m.apply(e)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	small, large := fastest(trackedHub(100)), fastest(trackedHub(100_000))
	// A scan of the hub makes large about 1,000 times small.
	if large > 50*small+time.Millisecond {
		t.Errorf("100 user joins took %v with 100,000 connections tracked, %v with 100: the cost grows with the hub", large, small)
	}
}

// BenchmarkMembershipsUserJoin measures applying one user-level join
// envelope with n connections of other users tracked in the hub.
func BenchmarkMembershipsUserJoin(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			m := trackedHub(n)
			e := userEnvelope(bus.KindAddToGroup, "u7", "g")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m.apply(e)
			}
		})
	}
}

package bustest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// Timeout is how long the suite waits for an expected envelope. Expiry
// tests use a one-second ttl, so an implementation must deliver the
// removal of an expired membership within about four seconds.
const Timeout = 5 * time.Second

// Run runs the conformance suite, every test twice: in OneNode mode a
// single bus instance does everything; in TwoNodes mode one instance plays
// a gateway node (it registers connections and subscribes) and a second one
// plays the functions (it publishes, changes membership and answers
// existence checks), and some tests subscribe on both.
//
// Each subtest calls newDeployment once and then the newNode function it
// returns once per node it needs. The nodes of one deployment share their
// state and deliver each other's envelopes, as the gateways and functions of
// one deployment do; different deployments need not share anything. The
// suite closes every node it was given when the subtest ends (a second Close
// of the same instance may return ErrClosed), so an implementation with one
// instance per process can return that same instance for every node:
//
//	bustest.Run(t, func(t *testing.T) func() bus.Bus {
//		m := bus.NewMemory(bus.MemoryConfig{})
//		return func() bus.Bus { return m }
//	})
//
// newDeployment may register cleanup with t.Cleanup; it runs after the
// nodes are closed.
func Run(t *testing.T, newDeployment func(t *testing.T) (newNode func() bus.Bus)) {
	t.Helper()
	modes := []struct {
		name  string
		nodes int
	}{{"OneNode", 1}, {"TwoNodes", 2}}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					newNode := newDeployment(t)
					gw := node(t, newNode)
					api := gw
					if mode.nodes == 2 {
						api = node(t, newNode)
					}
					more := func() bus.Bus { return node(t, newNode) }
					tc.run(t, &env{t: t, gw: gw, api: api, more: more, hub: uniqueHub(t), ctx: t.Context()})
				})
			}
		})
	}
}

// node returns a new node of a deployment, closed when the test ends.
func node(t *testing.T, newNode func() bus.Bus) bus.Bus {
	b := newNode()
	t.Cleanup(func() {
		if err := b.Close(); err != nil && !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// suite lists the conformance tests in the order they are reported.
var suite = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"PublishAllScopes", testPublishAllScopes},
	{"PublishExcluded", testPublishExcluded},
	{"PublishFramed", testPublishFramed},
	{"MembershipThenPublishOrder", testMembershipOrder},
	{"ConcurrentPublishers", testConcurrentPublishers},
	{"Registry", testRegistry},
	{"Locate", testLocate},
	{"Groups", testGroups},
	{"GroupLister", testGroupLister},
	{"UnknownConnection", testUnknownConnection},
	{"InvalidArguments", testInvalidArguments},
	{"NamesByteExact", testNamesByteExact},
	{"NamesInvalidUTF8", testNamesInvalidUTF8},
	{"GroupLimits", testGroupLimits},
	{"UserGroupNoExpiry", testUserGroupNoExpiry},
	{"UserGroupCaps", testUserGroupCaps},
	{"UserGroupTTLZero", testUserGroupTTLZero},
	{"UserGroupExpiry", testUserGroupExpiry},
	{"RegisterAfterAddUserToGroup", testRegisterAfterAddUser},
	{"RemoveUserFromAllGroups", testRemoveUserFromAllGroups},
	{"SubscriptionClose", testSubscriptionClose},
	{"Close", testClose},
	{"CanceledContext", testCanceledContext},
	{"ConnectionQuota", testConnectionQuota},
	{"NegotiateRate", testNegotiateRate},
	{"ConnectionClaim", testConnectionClaim},
	{"Handover", testHandover},
	{"HandoverRace", testHandoverRace},
}

// env is what one subtest works with: its nodes, its hub and its context.
type env struct {
	t *testing.T
	// gw is the gateway node: connections are registered and unregistered
	// on it, and subscribers listen on it unless a test says otherwise.
	gw bus.Bus
	// api is the functions node: it publishes, changes membership and
	// answers existence checks. In OneNode mode it is gw.
	api bus.Bus
	// more returns another node of the deployment (the same instance
	// when the implementation has one per process).
	more func() bus.Bus
	hub  string
	ctx  context.Context

	watchers map[bus.Bus]string // node → its watcher connection in hub
}

var hubSeq atomic.Uint64

// uniqueHub returns a hub name no other subtest, run or process uses.
func uniqueHub(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, path.Base(t.Name()))
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("bustest_%s_%d_%x", name, hubSeq.Add(1), r)
}

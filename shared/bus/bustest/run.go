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

// Run runs the conformance suite. Each subtest calls newBus once, in
// parallel with other subtests, and closes the bus it returns when the
// subtest ends; newBus may register further cleanup with t.Cleanup, which
// runs after that Close. Buses from different calls need not share state.
func Run(t *testing.T, newBus func(t *testing.T) bus.Bus) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBus(t)
			t.Cleanup(func() {
				if err := b.Close(); err != nil && !errors.Is(err, bus.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, &env{t: t, b: b, hub: uniqueHub(t), ctx: t.Context()})
		})
	}
}

// suite lists the conformance tests in the order they are reported.
var suite = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"PublishAllScopes", testPublishAllScopes},
	{"PublishExcluded", testPublishExcluded},
	{"MembershipThenPublishOrder", testMembershipOrder},
	{"ConcurrentPublishers", testConcurrentPublishers},
	{"Registry", testRegistry},
	{"Groups", testGroups},
	{"UnknownConnection", testUnknownConnection},
	{"InvalidArguments", testInvalidArguments},
	{"UserGroupNoExpiry", testUserGroupNoExpiry},
	{"UserGroupTTLZero", testUserGroupTTLZero},
	{"UserGroupExpiry", testUserGroupExpiry},
	{"RegisterAfterAddUserToGroup", testRegisterAfterAddUser},
	{"RemoveUserFromAllGroups", testRemoveUserFromAllGroups},
	{"SubscriptionClose", testSubscriptionClose},
	{"Close", testClose},
	{"CanceledContext", testCanceledContext},
}

// env is what one subtest works with: its bus, its hub and its context.
type env struct {
	t   *testing.T
	b   bus.Bus
	hub string
	ctx context.Context
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

package bustest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testSubscriptionClose: after Subscription.Close returns the handler is
// never called again, even while others publish; Close is idempotent and
// other subscriptions keep receiving.
func testSubscriptionClose(t *testing.T, e *env) {
	r1, r2, r3 := e.subscribe(), e.subscribe(), e.subscribe()
	first := sendEnv(e.hub, bus.ScopeAll, "", "first")
	e.publish(first)
	r1.expect(t, first)
	r1.stop(t)
	if err := r1.sub.Close(); err != nil {
		t.Fatalf("second Subscription.Close = %v, want nil", err)
	}

	const n = 200
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if err := e.api.Publish(e.ctx, sendEnv(e.hub, bus.ScopeAll, "", strconv.Itoa(i))); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
		}
	})
	r3.take(t, 2) // first, then at least one from the publisher
	r3.stop(t)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	r2.take(t, 1+n)
	e.fence(r2)
	if late := r1.lateCalls(); late != 0 {
		t.Errorf("closed subscription 1 received %d envelopes", late)
	}
	if late := r3.lateCalls(); late != 0 {
		t.Errorf("subscription closed during publishing received %d envelopes after Close", late)
	}
}

// testClose: Close stops subscriptions, and every later call, Close
// included, fails with ErrClosed; closing a subscription afterwards is
// fine. It closes the gateway node.
func testClose(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	if err := e.gw.Ping(e.ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := e.gw.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()

	ctx, b, h := e.ctx, e.gw, e.hub
	presence := func(_ bool, err error) error { return err }
	calls := []struct {
		name string
		err  error
	}{
		{"Close", b.Close()},
		{"Ping", b.Ping(ctx)},
		{"Publish", b.Publish(ctx, sendEnv(h, bus.ScopeAll, "", "x"))},
		{"Subscribe", func() error { _, err := b.Subscribe(ctx, func(*bus.Envelope) {}); return err }()},
		{"Register", func() error { _, err := b.Register(ctx, bus.Conn{Hub: h, ID: "c2"}); return err }()},
		{"Unregister", b.Unregister(ctx, h, "c1")},
		{"AddToGroup", b.AddToGroup(ctx, h, "g", "c1")},
		{"RemoveFromGroup", b.RemoveFromGroup(ctx, h, "g", "c1")},
		{"RemoveFromAllGroups", b.RemoveFromAllGroups(ctx, h, "c1")},
		{"AddUserToGroup", b.AddUserToGroup(ctx, h, "g", "u1", -1)},
		{"RemoveUserFromGroup", b.RemoveUserFromGroup(ctx, h, "g", "u1")},
		{"RemoveUserFromAllGroups", b.RemoveUserFromAllGroups(ctx, h, "u1")},
		{"ConnectionExists", presence(b.ConnectionExists(ctx, h, "c1"))},
		{"UserExists", presence(b.UserExists(ctx, h, "u1"))},
		{"GroupExists", presence(b.GroupExists(ctx, h, "g"))},
		{"UserInGroup", presence(b.UserInGroup(ctx, h, "g", "u1"))},
	}
	for _, c := range calls {
		if !errors.Is(c.err, bus.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", c.name, c.err)
		}
	}
	if err := r.sub.Close(); err != nil {
		t.Errorf("Subscription.Close after Close = %v, want nil", err)
	}
	if late := r.lateCalls(); late != 0 {
		t.Errorf("handler called %d times after Close", late)
	}
}

// testCanceledContext: calls with a cancelled context fail with an error
// matching context.Canceled and change nothing.
func testCanceledContext(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	b, h := e.api, e.hub
	calls := []struct {
		name string
		err  error
	}{
		{"Ping", b.Ping(ctx)},
		{"Ping gateway", e.gw.Ping(ctx)},
		{"Publish", b.Publish(ctx, sendEnv(h, bus.ScopeAll, "", "x"))},
		{"Register", func() error { _, err := e.gw.Register(ctx, bus.Conn{Hub: h, ID: "c2"}); return err }()},
		{"AddToGroup", b.AddToGroup(ctx, h, "g", "c1")},
		{"AddUserToGroup", b.AddUserToGroup(ctx, h, "g", "u1", -1)},
		{"GroupExists", func() error { _, err := b.GroupExists(ctx, h, "g"); return err }()},
	}
	for _, c := range calls {
		if !errors.Is(c.err, context.Canceled) {
			t.Errorf("%s with cancelled context = %v, want context.Canceled", c.name, c.err)
		}
	}
	e.wantConn("c2", false)
	e.wantGroup("g", false)
	e.wantUserInGroup("g", "u1", false)
	e.fence(r)
}

package bus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/bustest"
)

func TestMemory(t *testing.T) {
	// One Memory is every node of a deployment: it is one process.
	bustest.Run(t, func(t *testing.T) func() bus.Bus {
		m := bus.NewMemory(bus.MemoryConfig{})
		return func() bus.Bus { return m }
	})
}

// collector records envelopes; Memory calls it synchronously.
type collector struct {
	mu  sync.Mutex
	got []string
}

func (c *collector) handle(e *bus.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e.Kind.String()+" "+e.Scope.String()+" "+e.ID+" "+e.Group)
}

// drain returns and forgets what was recorded.
func (c *collector) drain() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

func newMemory(t *testing.T, cfg bus.MemoryConfig) (*bus.Memory, *collector) {
	t.Helper()
	m := bus.NewMemory(cfg)
	t.Cleanup(func() { _ = m.Close() })
	c := &collector{}
	if _, err := m.Subscribe(t.Context(), c.handle); err != nil {
		t.Fatal(err)
	}
	return m, c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantBool(t *testing.T, what string, want bool, got bool, err error) {
	t.Helper()
	must(t, err)
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}

func wantSize(t *testing.T, m *bus.Memory, hubs, expiring int) {
	t.Helper()
	if h, x := m.Size(); h != hubs || x != expiring {
		t.Fatalf("Size = %d hubs, %d expiring; want %d, %d", h, x, hubs, expiring)
	}
}

func TestMemoryDeliversBeforeReturning(t *testing.T) {
	ctx := t.Context()
	m, c := newMemory(t, bus.MemoryConfig{})
	_, err := m.Register(ctx, bus.Conn{Hub: "h", ID: "c1", User: "u1"})
	must(t, err)
	wantList(t, "after Register", c.drain())
	must(t, m.AddToGroup(ctx, "h", "g", "c1"))
	wantList(t, "after AddToGroup", c.drain(), "add-to-group connection c1 g")
	must(t, m.Publish(ctx, &bus.Envelope{Kind: bus.KindClose, Hub: "h", Scope: bus.ScopeGroup, ID: "g"}))
	wantList(t, "after Publish", c.drain(), "close group g ")
	must(t, m.Unregister(ctx, "h", "c1"))
	wantList(t, "after Unregister", c.drain())
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryExpiry(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	m, c := newMemory(t, bus.MemoryConfig{SweepInterval: time.Hour, Now: clk.Now})
	_, err := m.Register(ctx, bus.Conn{Hub: "h", ID: "c1", User: "u1"})
	must(t, err)

	must(t, m.AddUserToGroup(ctx, "h", "solo", "u2", 9*time.Second)) // expires at 9s
	must(t, m.AddUserToGroup(ctx, "h", "renewed", "u1", 10*time.Second))
	must(t, m.AddUserToGroup(ctx, "h", "forever", "u1", 10*time.Second))
	must(t, m.AddUserToGroup(ctx, "h", "forever", "u1", -1)) // replaces the expiry with bus.UserGroupLifetime
	must(t, m.AddUserToGroup(ctx, "h", "kept", "u1", 10*time.Second))
	must(t, m.AddUserToGroup(ctx, "h", "kept", "u1", 0)) // leaves the 10s expiry
	must(t, m.AddUserToGroup(ctx, "h", "dropped", "u3", time.Second))
	must(t, m.RemoveUserFromGroup(ctx, "h", "dropped", "u3"))
	wantSize(t, m, 1, 4)
	c.drain()

	clk.advance(5 * time.Second)
	must(t, m.AddUserToGroup(ctx, "h", "renewed", "u1", 10*time.Second)) // now expires at 15s
	clk.advance(6 * time.Second)                                         // 11s: solo and kept are due

	ok, err := m.UserInGroup(ctx, "h", "solo", "u2")
	wantBool(t, "UserInGroup solo before the sweep", false, ok, err)
	groups, err := m.Register(ctx, bus.Conn{Hub: "h", ID: "c2", User: "u2"})
	must(t, err)
	wantList(t, "groups of c2 before the sweep", groups)

	c.drain()
	m.Sweep()
	wantList(t, "first sweep", c.drain(),
		"remove-from-group user u2 solo",
		"remove-from-group user u1 kept")
	wantSize(t, m, 1, 2)
	ok, err = m.GroupExists(ctx, "h", "kept")
	wantBool(t, "GroupExists kept", false, ok, err)
	ok, err = m.UserInGroup(ctx, "h", "renewed", "u1")
	wantBool(t, "UserInGroup renewed", true, ok, err)

	clk.advance(4 * time.Second) // 15s
	m.Sweep()
	wantList(t, "second sweep", c.drain(), "remove-from-group user u1 renewed")
	m.Sweep()
	wantList(t, "idle sweep", c.drain())
	wantSize(t, m, 1, 1) // forever: a year

	groups, err = m.Register(ctx, bus.Conn{Hub: "h", ID: "c3", User: "u1"})
	must(t, err)
	wantList(t, "groups of c3", groups, "forever")
}

func TestMemoryReleasesState(t *testing.T) {
	ctx := t.Context()
	m, _ := newMemory(t, bus.MemoryConfig{})
	for _, hub := range []string{"h1", "h2"} {
		for _, c := range []bus.Conn{{Hub: hub, ID: "c1", User: "u1"}, {Hub: hub, ID: "c2", User: "u1"}, {Hub: hub, ID: "c3"}} {
			_, err := m.Register(ctx, c)
			must(t, err)
		}
		must(t, m.AddToGroup(ctx, hub, "g1", "c1"))
		must(t, m.AddToGroup(ctx, hub, "g1", "c3"))
		must(t, m.AddToGroup(ctx, hub, "g2", "c3"))
		must(t, m.AddUserToGroup(ctx, hub, "g3", "u1", -1))
		must(t, m.AddUserToGroup(ctx, hub, "g4", "u1", time.Hour))
		must(t, m.AddUserToGroup(ctx, hub, "g5", "u9", time.Hour))
		must(t, m.AddUserToGroup(ctx, hub, "g6", "u9", 0))
	}
	wantSize(t, m, 2, 6) // g3 without ttl expires after a year

	// Removing every connection leaves the recorded memberships.
	for _, hub := range []string{"h1", "h2"} {
		for _, id := range []string{"c1", "c2", "c3"} {
			must(t, m.Unregister(ctx, hub, id))
		}
	}
	wantSize(t, m, 2, 6)

	must(t, m.RemoveUserFromAllGroups(ctx, "h1", "u1"))
	must(t, m.RemoveUserFromAllGroups(ctx, "h1", "u9"))
	must(t, m.RemoveUserFromGroup(ctx, "h2", "g3", "u1"))
	must(t, m.RemoveUserFromGroup(ctx, "h2", "g4", "u1"))
	wantSize(t, m, 1, 1)
	must(t, m.RemoveUserFromGroup(ctx, "h2", "g5", "u9"))
	wantSize(t, m, 0, 0)

	// Calls on unknown hubs create nothing.
	must(t, m.RemoveUserFromAllGroups(ctx, "h3", "u1"))
	must(t, m.AddUserToGroup(ctx, "h3", "g", "u1", 0))
	must(t, m.Unregister(ctx, "h3", "c1"))
	ok, err := m.GroupExists(ctx, "h3", "g")
	wantBool(t, "GroupExists", false, ok, err)
	wantSize(t, m, 0, 0)
}

func TestMemoryHandlerMayQuery(t *testing.T) {
	ctx := t.Context()
	m := bus.NewMemory(bus.MemoryConfig{})
	t.Cleanup(func() { _ = m.Close() })
	var seen []bool
	_, err := m.Subscribe(ctx, func(e *bus.Envelope) {
		ok, err := m.GroupExists(context.Background(), e.Hub, e.Group)
		if err != nil {
			t.Error(err)
		}
		seen = append(seen, ok)
	})
	must(t, err)
	_, err = m.Register(ctx, bus.Conn{Hub: "h", ID: "c1"})
	must(t, err)
	must(t, m.AddToGroup(ctx, "h", "g", "c1"))
	must(t, m.RemoveFromGroup(ctx, "h", "g", "c1"))
	if len(seen) != 2 || !seen[0] || seen[1] {
		t.Fatalf("handler saw GroupExists %v, want [true false]", seen)
	}
}

// TestMemoryCloseWaitsForHandler: Close and Subscription.Close return only
// once an in-flight handler call has returned.
func TestMemoryCloseWaitsForHandler(t *testing.T) {
	for _, name := range []string{"Subscription.Close", "Close"} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			m := bus.NewMemory(bus.MemoryConfig{})
			t.Cleanup(func() { _ = m.Close() })
			entered, release := make(chan struct{}), make(chan struct{})
			sub, err := m.Subscribe(ctx, func(*bus.Envelope) {
				close(entered)
				<-release
			})
			must(t, err)
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() {
				_ = m.Publish(ctx, &bus.Envelope{Kind: bus.KindClose, Hub: "h", Scope: bus.ScopeAll})
			})
			<-entered
			closed := make(chan struct{})
			wg.Go(func() {
				defer close(closed)
				if name == "Close" {
					_ = m.Close()
				} else {
					_ = sub.Close()
				}
			})
			select {
			case <-closed:
				t.Fatalf("%s returned during a handler call", name)
			case <-time.After(50 * time.Millisecond):
			}
			close(release)
			<-closed
		})
	}
}

// A user-level membership added without ttl lasts bus.UserGroupLifetime.
func TestMemoryUserGroupWithoutTTLLastsAYear(t *testing.T) {
	ctx := t.Context()
	clk := &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	m, c := newMemory(t, bus.MemoryConfig{SweepInterval: time.Hour, Now: clk.Now})
	must(t, m.AddUserToGroup(ctx, "h", "g", "u1", -1))
	c.drain()
	clk.advance(bus.UserGroupLifetime - time.Second)
	m.Sweep()
	ok, err := m.UserInGroup(ctx, "h", "g", "u1")
	wantBool(t, "UserInGroup just before a year", true, ok, err)
	clk.advance(time.Second)
	m.Sweep()
	wantList(t, "sweep after a year", c.drain(), "remove-from-group user u1 g")
	ok, err = m.UserInGroup(ctx, "h", "g", "u1")
	wantBool(t, "UserInGroup after a year", false, ok, err)
}

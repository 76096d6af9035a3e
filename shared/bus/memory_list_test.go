package bus_test

import (
	"fmt"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// Memory lists in id order with exact pages, caps the page at
// MaxPageSize, and resumes after a cursor whose connection has left.
func TestMemoryGroupConnections(t *testing.T) {
	ctx := t.Context()
	m := bus.NewMemory(bus.MemoryConfig{})
	t.Cleanup(func() { _ = m.Close() })
	const n = bus.MaxPageSize + 50
	for i := range n {
		id := fmt.Sprintf("c%04d", i)
		if _, err := m.Register(ctx, bus.Conn{Hub: "chat", ID: id, User: fmt.Sprint("u", i%3)}); err != nil {
			t.Fatal(err)
		}
		if err := m.AddToGroup(ctx, "chat", "g", id); err != nil {
			t.Fatal(err)
		}
	}

	ms, next, err := m.GroupConnections(ctx, "chat", "g", n+1, "")
	if err != nil || len(ms) != bus.MaxPageSize || next == "" {
		t.Fatalf("big page: %d members, next %q, %v; want %d and a cursor", len(ms), next, err, bus.MaxPageSize)
	}
	for i, mb := range ms {
		if want := fmt.Sprintf("c%04d", i); mb.ConnectionID != want || mb.UserID != fmt.Sprint("u", i%3) {
			t.Fatalf("member %d = %+v, want %s of u%d", i, mb, want, i%3)
		}
	}

	ms, next, err = m.GroupConnections(ctx, "chat", "g", 2, "")
	if err != nil || len(ms) != 2 || ms[1].ConnectionID != "c0001" {
		t.Fatalf("first page = %v, %v", ms, err)
	}
	// The cursor's connection leaves: the listing resumes after it.
	if err := m.Unregister(ctx, "chat", "c0001"); err != nil {
		t.Fatal(err)
	}
	ms, _, err = m.GroupConnections(ctx, "chat", "g", 2, next)
	if err != nil || len(ms) != 2 || ms[0].ConnectionID != "c0002" || ms[1].ConnectionID != "c0003" {
		t.Fatalf("page after a departed cursor = %v, %v", ms, err)
	}

	// The last page ends the listing exactly.
	ms, next, err = m.GroupConnections(ctx, "chat", "g", 3, "")
	for err == nil && next != "" && len(ms) == 3 {
		ms, next, err = m.GroupConnections(ctx, "chat", "g", 3, next)
	}
	if err != nil || next != "" || len(ms) != (n-1)%3 {
		t.Fatalf("last page = %d members, next %q, %v; want %d", len(ms), next, err, (n-1)%3)
	}
}

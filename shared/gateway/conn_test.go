package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/testsupport"
)

// After the socket filled up and the writer goroutine took over (setting a
// write deadline), later direct writes must still work once that deadline
// has passed.
func TestDirectWritesAfterWriterDeadline(t *testing.T) {
	testsupport.SkipSlow(t)
	// The write timeout must outlast the slowest read of the burst by the
	// test's client under -race on a loaded machine (2 s did not).
	h := newHarness(t, func(c *Config) { c.WriteTimeout = 4 * time.Second; c.QueueBytes = 64 << 20 })
	c := h.connect("chat", "")
	big := `["` + strings.Repeat("x", 256<<10) + `"]`
	const n = 40 // ~10 MB: more than loopback socket buffers hold
	for i := 0; i < n; i++ {
		publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, c.id, "big", big))
	}
	for i := 0; i < n; i++ {
		c.expectInvocation("big", big)
	}
	time.Sleep(4500 * time.Millisecond) // past any deadline the writer set
	for i := 0; i < 3; i++ {
		publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, c.id, "small", `[1]`))
		c.expectInvocation("small", `[1]`)
	}
}

func TestKeeperSlots(t *testing.T) {
	k := newKeeper(8 * time.Second) // tick 1s, 9 slots
	c := &conn{}
	for _, tc := range []struct {
		delay time.Duration
		slot  int
	}{
		{0, 0}, {time.Millisecond, 0}, {time.Second, 0}, {1500 * time.Millisecond, 1},
		{8 * time.Second, 7}, {time.Hour, 7},
	} {
		k.slots = make([][]*conn, len(k.slots))
		k.insertLocked(c, tc.delay)
		if len(k.slots[tc.slot]) != 1 {
			t.Errorf("delay %v: not in slot %d: %v", tc.delay, tc.slot, k.slots)
		}
	}
}

func TestKeeperRemove(t *testing.T) {
	k := newKeeper(8 * time.Second)
	cs := []*conn{{kslot: -1}, {kslot: -1}, {kslot: -1}}
	for _, c := range cs {
		k.add(c)
	}
	k.remove(cs[0])
	k.remove(cs[0]) // twice: no effect
	n := 0
	for _, s := range k.slots {
		for _, c := range s {
			if c == cs[0] {
				t.Fatal("removed connection still in the wheel")
			}
			if s[c.kpos] != c {
				t.Fatal("kpos out of date after a removal")
			}
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d connections in the wheel, want 2", n)
	}
	k.remove(cs[2])
	k.remove(cs[1])
	for _, s := range k.slots {
		if len(s) != 0 {
			t.Fatalf("wheel not empty: %v", k.slots)
		}
	}
}

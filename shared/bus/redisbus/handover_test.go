package redisbus_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestTakeOverFromDeadNode: a connection whose node died without
// detaching it (a crash with the socket still open) is refused while the
// node's entry in the hub's live zset lasts, and taken over once it ran
// out, before any reaper dropped it: the new node is the one that ends it.
func TestTakeOverFromDeadNode(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	doomed := d.node(fast)
	// The taker beats rarely: no reaper runs before the takeover.
	taker := d.node(redisbus.Config{HeartbeatInterval: 10 * time.Second, NodeTTL: 30 * time.Second})
	_, err := doomed.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "u1", Addr: "http://doomed.invalid"})
	must(t, err)
	newC := bus.Conn{Hub: "chat", ID: "c1", Addr: "http://taker.invalid"}
	if _, err := taker.TakeOver(ctx, newC, "t1"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver from a live node = %v, want ErrConnectionAttached", err)
	}
	doomed.Kill()
	eventually(t, 3*time.Second, "takeover after the dead node's entry ran out", func() error {
		got, err := taker.TakeOver(ctx, newC, "t1")
		if err == nil && (got.From != "http://doomed.invalid" || got.User != "u1") {
			t.Fatalf("TakeOver = %+v", got)
		}
		return err
	})
	ended, err := taker.EndDetached(ctx, newC)
	if err != nil || !ended {
		t.Fatalf("EndDetached by the taker = %v, %v; want true", ended, err)
	}
}

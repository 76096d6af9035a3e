package redisbus_test

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestTakeOverFromDeadNode: a connection whose node died without
// detaching it (a crash with the socket still open) is refused while the
// node's entry in the hub's live zset lasts, and taken over once it ran
// out, before any reaper dropped it: the new node is the one that ends it.
func TestTakeOverFromDeadNode(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	doomed := d.node(redisbus.Config{})
	taker := d.node(redisbus.Config{}) // reaps nobody for NodeTTL
	_, err := doomed.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "u1", Addr: "http://doomed.invalid"})
	must(t, err)
	newC := bus.Conn{Hub: "chat", ID: "c1", Addr: "http://taker.invalid"}
	if _, err := taker.TakeOver(ctx, newC, "t1"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver from a live node = %v, want ErrConnectionAttached", err)
	}
	node := doomed.NodeID()
	doomed.Kill()
	if _, err := taker.TakeOver(ctx, newC, "t1"); !errors.Is(err, bus.ErrConnectionAttached) {
		t.Fatalf("TakeOver before the dead node's entry ran out = %v, want ErrConnectionAttached", err)
	}
	// Its entry runs out (NodeTTL after its last heartbeat; set here, so
	// no reaper gets there first).
	must(t, rdb.ZAdd(ctx, doomed.HubKey("chat", "live"), redis.Z{Score: 1, Member: node}).Err())
	got, err := taker.TakeOver(ctx, newC, "t1")
	must(t, err)
	if got.From != "http://doomed.invalid" || got.User != "u1" || got.Meta != "" {
		t.Fatalf("TakeOver = %+v", got)
	}
	ended, err := taker.EndDetached(ctx, newC)
	if err != nil || !ended {
		t.Fatalf("EndDetached by the taker = %v, %v; want true", ended, err)
	}
}

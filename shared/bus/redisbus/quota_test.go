package redisbus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// A release that never reached Redis, and an acquisition that Redis applied
// after its caller gave up, are put right by the next heartbeats: the
// deployment's count returns to what the node holds. With a node TTL
// longer than the stall the counts are rewritten in place; with a shorter
// one the node is reaped and registers again, counts included.
func TestQuotaRepairAfterFailedCalls(t *testing.T) {
	for name, cfg := range map[string]redisbus.Config{
		"rewrite": {HeartbeatInterval: 100 * time.Millisecond, NodeTTL: 10 * time.Second},
		"resync":  fast,
	} {
		t.Run(name, func(t *testing.T) { testQuotaRepair(t, cfg) })
	}
}

func testQuotaRepair(t *testing.T, cfg redisbus.Config) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	gw := d.node(cfg)
	ctx := t.Context()
	lim := bus.ConnLimits{Max: 2}
	must(t, gw.AcquireConnection(ctx, "chat", "u1", lim))
	must(t, gw.AcquireConnection(ctx, "chat", "u2", lim))

	// Writes stall: the release and a further acquisition time out.
	pauseEnd := time.Now().Add(1500 * time.Millisecond)
	must(t, rdb.Do(ctx, "CLIENT", "PAUSE", 1500, "WRITE").Err())
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := gw.ReleaseConnection(short, "chat", "u1")
	cancel()
	if !errors.Is(err, bus.ErrUnavailable) {
		t.Fatalf("release while Redis is paused = %v, want ErrUnavailable", err)
	}
	short, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	err = gw.AcquireConnection(short, "chat", "u3", bus.ConnLimits{Max: 3})
	cancel()
	if !errors.Is(err, bus.ErrUnavailable) {
		t.Fatalf("acquire while Redis is paused = %v, want ErrUnavailable", err)
	}

	// One connection (u2) is held: once repaired, a second fits and a third does not.
	time.Sleep(time.Until(pauseEnd) + 500*time.Millisecond) // the stalled writes are applied
	one := func() bool {
		return gw.CheckConnection(ctx, "chat", "x", bus.ConnLimits{Max: 2}) == nil &&
			errors.Is(gw.CheckConnection(ctx, "chat", "x", bus.ConnLimits{Max: 1}), bus.ErrLimitReached)
	}
	testsupport.EventuallyTrue(t, 10*time.Second, "the count repaired", one)
	must(t, gw.AcquireConnection(ctx, "chat", "u4", lim))
	if err := gw.CheckConnection(ctx, "chat", "x", lim); !errors.Is(err, bus.ErrLimitReached) {
		t.Fatalf("check with two held = %v, want ErrLimitReached", err)
	}
}

package redisbus_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
)

// TestConnectsAfterScriptFlush: concurrent claims, registrations and
// removals, which go in shared pipelines, work after the server forgot
// the scripts (SCRIPT FLUSH, as after a restart): the batched EVALSHA
// fails with NOSCRIPT and the script is loaded and run.
func TestConnectsAfterScriptFlush(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t) // its own: SCRIPT FLUSH clears every script
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	ctx := t.Context()
	const hub, n = "flushed", 64
	_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "first"}) // after the first heartbeat
	must(t, err)
	must(t, fn.AddUserToGroup(ctx, hub, "vip", "u0", -1))
	for round := range 2 {
		must(t, rdb.ScriptFlush(ctx).Err())
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				id := fmt.Sprintf("c%d-%d", round, i)
				if err := gw.ClaimConnection(ctx, hub, id, time.Minute); err != nil {
					errs <- err
					return
				}
				groups, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: id, User: fmt.Sprint("u", i%2)})
				switch {
				case err != nil:
					errs <- err
				case i%2 == 0 && (len(groups) != 1 || groups[0] != "vip"):
					errs <- fmt.Errorf("register %s: groups %q, want [vip]", id, groups)
				case i%2 == 1 && len(groups) != 0:
					errs <- fmt.Errorf("register %s: groups %q, want none", id, groups)
				}
			})
		}
		wg.Wait()
		must(t, rdb.ScriptFlush(ctx).Err())
		for i := range n {
			wg.Go(func() {
				id := fmt.Sprintf("c%d-%d", round, i)
				if err := gw.Unregister(ctx, hub, id); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if ok, err := fn.ConnectionExists(ctx, hub, fmt.Sprintf("c%d-0", round)); err != nil || ok {
			t.Fatalf("ConnectionExists after Unregister = %v, %v", ok, err)
		}
		if err := gw.ClaimConnection(ctx, hub, fmt.Sprintf("c%d-1", round), time.Minute); !errors.Is(err, bus.ErrAlreadyClaimed) {
			t.Fatalf("second claim: %v, want bus.ErrAlreadyClaimed", err)
		}
	}
}

// TestCloseUnderConnects: a gateway node closes while callers keep
// registering and unregistering: every call returns (the batcher's lanes
// stop, later calls go one at a time or fail with bus.ErrClosed), and
// nothing is left running (goleak checks the package).
func TestCloseUnderConnects(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(fast)
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				c := bus.Conn{Hub: "closing", ID: fmt.Sprintf("w%d-%d", w, i), User: "u"}
				_, err := gw.Register(ctx, c)
				if err == nil {
					err = gw.Unregister(ctx, c.Hub, c.ID)
				}
				if errors.Is(err, bus.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("%s: %v", c.ID, err)
					return
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	must(t, gw.Close())
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("callers still waiting 10s after Close")
	}
}

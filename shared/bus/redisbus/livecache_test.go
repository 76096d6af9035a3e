package redisbus_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
)

// TestLiveNodesReusedUntilAFailure: the functions' bus answers a recent
// count of live nodes without asking Redis, and a failed call on it makes
// the next LiveNodes ask again, so an outage shows at once
// (negotiate answers 503 while Redis is down).
func TestLiveNodesReusedUntilAFailure(t *testing.T) {
	srv := redistest.Start(t)
	d := newDeployment(t, newClient(t, srv.URL()))
	d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	fn.SetLiveCacheTTL(time.Minute)
	ctx := t.Context()
	eventually(t, 5*time.Second, "LiveNodes = 1", func() error {
		n, err := fn.LiveNodes(ctx)
		if err == nil && n != 1 {
			return errors.New("not yet")
		}
		return err
	})

	srv.Stop()
	if n, err := fn.LiveNodes(ctx); n != 1 || err != nil {
		t.Fatalf("LiveNodes right after a count = %d, %v; want the recent count 1", n, err)
	}
	if err := fn.Ping(ctx); !errors.Is(err, bus.ErrUnavailable) {
		t.Fatalf("Ping with Redis down = %v, want ErrUnavailable", err)
	}
	if n, err := fn.LiveNodes(ctx); !errors.Is(err, bus.ErrUnavailable) {
		t.Fatalf("LiveNodes after a failed call = %d, %v; want ErrUnavailable", n, err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "LiveNodes = 1 again", func() error {
		n, err := fn.LiveNodes(ctx)
		if err == nil && n != 1 {
			return errors.New("not yet")
		}
		return err
	})
}

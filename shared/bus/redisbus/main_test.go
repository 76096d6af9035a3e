package redisbus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestMain runs the package against REDIS_URL, or one throwaway
// redis-server for the whole package when it is unset. go-redis's own
// (global) logger is silenced: outage tests make it print every failed
// dial.
func TestMain(m *testing.M) {
	testsupport.QuietRedis()
	goleak.VerifyTestMain(redistest.WithServer(m))
}

// newClient returns a client for url (default: redistest.Addr), closed
// when t ends.
func newClient(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	if url == "" {
		url = redistest.Addr(t)
	}
	c, err := redisbus.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dropKeys deletes every key under prefix when t ends, so a shared Redis
// keeps nothing of the test. Register it before the buses: cleanups run
// last-in first-out.
// On a Redis Cluster it scans every master.
func dropKeys(t testing.TB, rdb redis.UniversalClient, prefix string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = forEachMaster(ctx, rdb, func(ctx context.Context, c *redis.Client) error {
			iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
			return iter.Err()
		})
	})
}

// allKeys returns the keys matching pattern, on every master of a Redis
// Cluster.
func allKeys(t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	must(t, forEachMaster(context.Background(), rdb, func(ctx context.Context, c *redis.Client) error {
		keys, err := c.Keys(ctx, pattern).Result()
		mu.Lock()
		defer mu.Unlock()
		out = append(out, keys...)
		return err
	}))
	return out
}

// numSub returns how many connections subscribe the sharded channel ch
// (on a Redis Cluster, on the master owning its slot).
func numSub(t testing.TB, rdb redis.UniversalClient, ch string) int64 {
	t.Helper()
	ctx := context.Background()
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		m, err := cc.MasterForKey(ctx, ch)
		must(t, err)
		rdb = m
	}
	n, err := rdb.PubSubShardNumSub(ctx, ch).Result()
	must(t, err)
	return n[ch]
}

// forEachMaster calls f with the one server, or with every master of a
// Redis Cluster (keyspace-wide commands such as SCAN see one node only).
func forEachMaster(ctx context.Context, rdb redis.UniversalClient, f func(context.Context, *redis.Client) error) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, f)
	}
	return f(ctx, rdb.(*redis.Client))
}

// newBus returns a Bus on rdb, closed when t ends.
func newBus(t testing.TB, cfg redisbus.Config) *redisbus.Bus {
	t.Helper()
	b, err := redisbus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil && !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// deployment is a key prefix on one Redis: buses made with it share state.
type deployment struct {
	t      testing.TB
	rdb    redis.UniversalClient
	prefix string
}

func newDeployment(t testing.TB, rdb redis.UniversalClient) *deployment {
	d := &deployment{t: t, rdb: rdb, prefix: redistest.KeyPrefix(t)}
	dropKeys(t, rdb, d.prefix)
	return d
}

// node returns a gateway node (or, with cfg.Stateless, a functions bus)
// of the deployment; cfg.Client and cfg.KeyPrefix are filled in.
func (d *deployment) node(cfg redisbus.Config) *redisbus.Bus {
	cfg.Client, cfg.KeyPrefix = d.rdb, d.prefix
	return newBus(d.t, cfg)
}

// recorder collects the envelopes of one hub a node delivers.
type recorder struct {
	hub string
	sub bus.Subscription
	ch  chan *bus.Envelope
}

func record(t testing.TB, b bus.Bus, hub string) *recorder {
	t.Helper()
	r := &recorder{hub: hub, ch: make(chan *bus.Envelope, 10000)}
	sub, err := b.Subscribe(t.Context(), func(e *bus.Envelope) {
		if e.Hub == hub {
			r.ch <- e.Clone()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	r.sub = sub
	t.Cleanup(func() { _ = sub.Close() })
	return r
}

// next waits up to d for the next envelope.
func (r *recorder) next(t testing.TB, d time.Duration) *bus.Envelope {
	t.Helper()
	select {
	case e := <-r.ch:
		return e
	case <-time.After(d):
		t.Fatalf("no envelope of hub %s within %v", r.hub, d)
		return nil
	}
}

// skip publishes a fence through b and drops everything up to it.
func (r *recorder) skip(t testing.TB, b bus.Bus) {
	t.Helper()
	must(t, b.Publish(t.Context(), send(r.hub, bus.ScopeAll, "", "skip-fence")))
	for {
		if e := r.next(t, 5*time.Second); e.Message != nil && e.Message.Target == "skip-fence" {
			return
		}
	}
}

// eventually is testsupport.Eventually (the package's tests call it by
// this name).
func eventually(t testing.TB, d time.Duration, what string, f func() error) {
	t.Helper()
	testsupport.Eventually(t, d, what, f)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func send(hub string, scope bus.Scope, id, target string) *bus.Envelope {
	return &bus.Envelope{Kind: bus.KindSend, Hub: hub, Scope: scope, ID: id,
		Message: &bus.Message{Target: target, Arguments: []byte(`[1]`)}}
}

// deliveredAgain publishes a group send "after" to hub until r receives
// one within wait of its publication, failing the test after d.
func deliveredAgain(t testing.TB, d time.Duration, what string, fn bus.Publisher, r *recorder, hub string, wait time.Duration) {
	t.Helper()
	eventually(t, d, what, func() error {
		if err := fn.Publish(t.Context(), send(hub, bus.ScopeGroup, "room", "after")); err != nil {
			return err
		}
		select {
		case e := <-r.ch:
			if e.Message == nil || e.Message.Target != "after" {
				return fmt.Errorf("got %s", describeEnv(e))
			}
			return nil
		case <-time.After(wait):
			return errors.New("nothing delivered")
		}
	})
}

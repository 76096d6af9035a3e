package redisbus

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/redistest"
)

// startBatcher returns a batcher on a client for url, stopped (lanes
// waited for) and the client closed when t ends.
func startBatcher(t *testing.T, url string) (*batcher, redis.UniversalClient) {
	t.Helper()
	rdb, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	p := newBatcher(rdb, stop, &wg)
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		_ = rdb.Close()
	})
	return p, rdb
}

// claim runs a SET NX PX of key through p.
func claim(ctx context.Context, p *batcher, key string) (bool, error) {
	cmd := redis.NewBoolCmd(ctx, "set", key, 1, "px", 60000, "nx")
	if err := p.do(ctx, key, cmd); err != nil {
		return false, err
	}
	return cmd.Val(), nil
}

// echoKey returns its key and argument; it publishes nothing.
var echoKey = redis.NewScript(`return {KEYS[1], ARGV[1]}`)

// TestBatcherOwnReplies: many concurrent callers, claims and scripts
// mixed, each get their own reply, through a server and a cluster, and
// again after SCRIPT FLUSH (the pipeline's EVALSHA fails with NOSCRIPT:
// the batcher loads the script and runs it).
func TestBatcherOwnReplies(t *testing.T) {
	t.Parallel()
	for name, url := range map[string]string{"Server": redistest.Addr(t), "Cluster": redistest.ClusterAddr(t)} {
		t.Run(name, func(t *testing.T) {
			p, rdb := startBatcher(t, url)
			prefix := redistest.KeyPrefix(t)
			for round := range 3 {
				flush(t, rdb)
				const n = 300
				errs := make(chan error, 2*n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(2)
					go func() {
						defer wg.Done()
						// Every claim twice: one of the two wins.
						key := fmt.Sprintf("%s:{c%d}:r%d", prefix, i/2, round)
						ok, err := claim(t.Context(), p, key)
						if err != nil {
							errs <- fmt.Errorf("claim %s: %w", key, err)
						} else if ok {
							errs <- nil
						}
					}()
					go func() {
						defer wg.Done()
						key, arg := fmt.Sprintf("%s:{e%d}", prefix, i), fmt.Sprint("a", i, round)
						got, err := echoKey.Run(t.Context(), p, []string{key}, arg).StringSlice()
						if err != nil || len(got) != 2 || got[0] != key || got[1] != arg {
							errs <- fmt.Errorf("echo %s %s = %q, %v", key, arg, got, err)
						}
					}()
				}
				wg.Wait()
				close(errs)
				won := 0
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
					won++
				}
				if won != n/2 {
					t.Fatalf("round %d: %d claims won, want %d", round, won, n/2)
				}
			}
			t.Cleanup(func() { dropPrefix(rdb, prefix) })
		})
	}
}

// flush empties the script cache of every master.
func flush(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(t.Context(), func(ctx context.Context, c *redis.Client) error {
			return c.ScriptFlush(ctx).Err()
		})
	} else {
		err = rdb.ScriptFlush(t.Context()).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// dropPrefix deletes the keys under prefix.
func dropPrefix(rdb redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		return iter.Err()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		_ = cc.ForEachMaster(ctx, del)
		return
	}
	_ = del(ctx, rdb.(*redis.Client))
}

// TestBatcherCallerContext: while a pipeline is out (the server is
// paused), a queued caller whose context ends returns its error at once
// and its command is never sent; the caller in flight gets its reply once
// the server answers. When the lane's queue is full, callers wait for
// room, and give up with their context.
// Not parallel: it looks for its lane's send among all goroutines.
func TestBatcherCallerContext(t *testing.T) {
	srv := redistest.Start(t)
	// A read timeout longer than the test: the pipeline in flight waits
	// for the server.
	p, rdb := startBatcher(t, srv.URL()+"?read_timeout=20s")
	ctx := t.Context()
	if ok, err := claim(ctx, p, "warm"); err != nil || !ok {
		t.Fatalf("claim warm = %v, %v", ok, err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	paused := true
	defer func() {
		if paused {
			_ = srv.Resume()
		}
	}()
	first := make(chan error, 1)
	go func() {
		_, err := claim(ctx, p, "first")
		first <- err
	}()
	l := p.lane(ctx, "first")
	// In send, the lane's batch is fixed: the first claim is in flight.
	waitFor(t, "the first claim sent", func() bool {
		return len(l.q) == 0 && strings.Contains(allStacks(), "redisbus.(*batcher).send(")
	})

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := claim(short, p, "queued"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued claim: %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("queued claim returned after %v", d)
	}

	// Fill the queue, then one more waits for room until its context ends.
	fill, stopFill := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range pipeQueue {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = claim(fill, p, fmt.Sprint("fill", i))
		}()
	}
	waitFor(t, "the queue full", func() bool { return len(l.q) == pipeQueue })
	over, cancelOver := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelOver()
	if _, err := claim(over, p, "over"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("claim on a full queue: %v, want the context's deadline", err)
	}
	stopFill()
	wg.Wait()

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	paused = false
	if err := <-first; err != nil {
		t.Fatalf("claim in flight: %v", err)
	}
	// The lane sends none of the abandoned claims.
	if ok, err := claim(ctx, p, "after"); err != nil || !ok {
		t.Fatalf("claim after = %v, %v", ok, err)
	}
	n, err := rdb.Exists(ctx, "queued", "over", "fill0", fmt.Sprint("fill", pipeQueue-1)).Result()
	if err != nil || n != 0 {
		t.Fatalf("abandoned claims in Redis: %d, %v; want none", n, err)
	}
}

// allStacks returns the stacks of all goroutines.
func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// slowBump increments KEYS[1], then keeps the server busy for ARGV[1]
// microseconds.
var slowBump = redis.NewScript(`
redis.call('INCR', KEYS[1])
local t0 = redis.call('TIME')
repeat
  local t = redis.call('TIME')
until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > tonumber(ARGV[1])
return 1`)

// TestBatcherSentOnceCluster: a batched script whose reply times out is
// not sent again, though the ClusterClient queues a pipeline's commands
// for another attempt after a timeout.
func TestBatcherSentOnceCluster(t *testing.T) {
	t.Parallel()
	url := redistest.ClusterAddr(t)
	p, _ := startBatcher(t, url+"?read_timeout=100ms")
	check, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	ctx := t.Context()
	key := redistest.KeyPrefix(t) + ":n"
	defer check.Del(context.Background(), key)
	if err := slowBump.Load(ctx, check.(*redis.ClusterClient)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := slowBump.Run(ctx, p, []string{key}, 400000).Err(); err == nil {
		t.Fatal("the script answered before the read timeout")
	}
	time.Sleep(time.Second) // any retry has run by now
	n, err := check.Get(ctx, key).Int()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("the script ran %d times, want once", n)
	}
}

// TestBatcherShutStartsNoLane: after shut, which the bus's Close calls
// before it stops the lanes and waits for them, no lane starts, so no
// goroutine joins the WaitGroup Close is waiting on; commands go to the
// client one at a time.
func TestBatcherShutStartsNoLane(t *testing.T) {
	p, _ := startBatcher(t, redistest.Addr(t))
	p.shut()
	if l := p.lane(t.Context(), "k"); l != nil {
		t.Fatal("a lane started after shut")
	}
	ok, err := claim(t.Context(), p, redistest.KeyPrefix(t)+":shut")
	if err != nil || !ok {
		t.Fatalf("claim after shut = %v, %v; want it sent on its own", ok, err)
	}
}

package redisbus

import (
	"sync/atomic"
	"time"
)

// liveCacheTTL is how long LiveNodes on a Stateless Bus answers a
// positive count without asking Redis again. Negotiate asks for the count
// on every call; a count a quarter of a second old changes nothing for the
// client (a node's own presence runs for NodeTTL), while asking Redis each
// time was a fifth of the functions process's negotiate work.
const liveCacheTTL = 250 * time.Millisecond

// liveCache holds the last positive count of live nodes. A call on the Bus
// that fails (Ping, Publish, the group and presence calls: what the
// functions process makes) makes it stale, so that a Redis outage shows in
// the next LiveNodes call however fresh the count was.
// A count of zero is never kept: a node that starts is seen at once.
type liveCache struct {
	ttl      time.Duration // liveCacheTTL; tests may lengthen it
	last     atomic.Pointer[liveCount]
	failures atomic.Uint64 // failed calls so far
}

// liveCount is a count of live nodes read from Redis at a time, when
// failures calls had failed.
type liveCount struct {
	n        int
	at       time.Time
	failures uint64
}

// get returns the kept count, or 0 when there is none, it is older than
// its ttl or a call failed since it was read; failures is what to
// pass to put with a count read now.
func (c *liveCache) get(now time.Time) (n int, failures uint64) {
	failures = c.failures.Load()
	l := c.last.Load()
	if l == nil || l.failures != failures || now.Sub(l.at) >= c.ttl || now.Before(l.at) {
		return 0, failures
	}
	return l.n, failures
}

// put keeps n, read at now after failures calls had failed; a zero
// count drops what was kept.
func (c *liveCache) put(n int, now time.Time, failures uint64) {
	if n <= 0 {
		c.last.Store(nil)
		return
	}
	c.last.Store(&liveCount{n: n, at: now, failures: failures})
}

// failed records a failed call, which makes the kept count stale.
func (c *liveCache) failed() { c.failures.Add(1) }

// failed notes a failed call on the Bus (see liveCache) and wraps err
// like unavailable.
func (b *Bus) failed(err error) error {
	b.noteFailure()
	return unavailable(err)
}

// failedScript notes a failed or refused script (see liveCache) and wraps
// err like scriptFailed.
func (b *Bus) failedScript(err error) error {
	b.noteFailure()
	return scriptFailed(err)
}

// noteFailure makes a count LiveNodes kept stale.
func (b *Bus) noteFailure() {
	if b.live != nil {
		b.live.failed()
	}
}

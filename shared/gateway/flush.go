package gateway

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// flusher writes queued frames to WebSocket connections from a small fixed
// set of worker goroutines, one per CPU, each owning a shard of the
// connections. A frame for a connection that is not being written is
// appended to its queue and the connection is put on its shard's ready
// list (once, however many frames follow); the worker copies everything
// queued for it into one buffer and writes that with one non-blocking
// write. During a burst of broadcasts the frames that arrive while a
// connection waits on the list share that write, so the number of write
// system calls follows the number of connections touched per round rather
// than the number of deliveries.
//
// A worker never blocks on a socket: when the send buffer is full, the
// rest goes back to the head of the queue and the connection's own writer
// goroutine (writeLoop) takes over with blocking writes, as for a close.
type flusher struct {
	shards  []flushShard
	next    atomic.Uint32 // round-robin shard for new connections
	running atomic.Bool   // workers accept connections
}

// flushShard is one worker's ready list.
type flushShard struct {
	mu    sync.Mutex
	ready []*conn       // connections with frames to write; each at most once
	wake  chan struct{} // capacity 1: work was added

	buf []byte // the worker's write buffer
}

// flushChunk bounds the bytes one write takes from a queue; a longer queue
// is written over several rounds.
const flushChunk = 64 << 10

func newFlusher() *flusher {
	f := &flusher{shards: make([]flushShard, max(1, runtime.GOMAXPROCS(0)))}
	for i := range f.shards {
		f.shards[i].wake = make(chan struct{}, 1)
	}
	return f
}

// shardFor picks the shard of a new connection.
func (f *flusher) shardFor() int { return int(f.next.Add(1)-1) % len(f.shards) }

// start runs the workers until stop is closed; wg tracks them. Close stop
// only once no connection is left (their writers have ended).
func (f *flusher) start(stop <-chan struct{}, wg *sync.WaitGroup) {
	f.running.Store(true)
	for i := range f.shards {
		sh := &f.shards[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh.run(stop)
		}()
	}
}

// push puts cs on shard i's ready list and wakes its worker.
func (f *flusher) push(i int, cs ...*conn) {
	if len(cs) == 0 {
		return
	}
	sh := &f.shards[i]
	sh.mu.Lock()
	sh.ready = append(sh.ready, cs...)
	sh.mu.Unlock()
	select {
	case sh.wake <- struct{}{}:
	default:
	}
}

func (sh *flushShard) run(stop <-chan struct{}) {
	var spare []*conn
	for {
		select {
		case <-stop:
			return
		case <-sh.wake:
		}
		for {
			sh.mu.Lock()
			list := sh.ready
			sh.ready = spare
			sh.mu.Unlock()
			if len(list) == 0 {
				spare = list
				break
			}
			now := time.Now().UnixNano()
			for _, c := range list {
				if c.flushOnce(sh, now) {
					sh.mu.Lock()
					sh.ready = append(sh.ready, c) // more arrived: next round
					sh.mu.Unlock()
				}
			}
			clear(list)
			spare = list[:0]
		}
	}
}

// schedBatch collects connections a dispatch made ready, per shard, so a
// broadcast takes each shard's lock once per batch rather than once per
// connection.
type schedBatch struct {
	f     *flusher
	ready [][]*conn
}

// schedFlushAt is how many ready connections a batch holds before it hands
// them to the workers, so they start writing while the dispatch goes on.
const schedFlushAt = 128

func (b *schedBatch) add(c *conn) {
	if b.ready == nil {
		b.ready = make([][]*conn, len(b.f.shards))
	}
	b.ready[c.shard] = append(b.ready[c.shard], c)
	if len(b.ready[c.shard]) >= schedFlushAt {
		b.f.push(c.shard, b.ready[c.shard]...)
		b.ready[c.shard] = b.ready[c.shard][:0]
	}
}

// done hands the rest to the workers.
func (b *schedBatch) done() {
	for i, cs := range b.ready {
		b.f.push(i, cs...)
	}
}

// flushOnce writes what is queued for c (at most flushChunk bytes, or one
// larger frame) with one non-blocking write. The worker owns c's write side
// from the push (Flushing) until it lets go here: Idle when everything
// went out, or to c's writer goroutine when the socket is full (Writing)
// or c is closing. It reports whether c stays owned with more to write.
func (c *conn) flushOnce(sh *flushShard, now int64) bool {
	c.mu.Lock()
	if c.state() != wsFlushing {
		// Closing or Aborting: the writer goroutine flushes (or drops)
		// the queue and writes the final frames.
		c.handOffLocked()
		c.mu.Unlock()
		return false
	}
	buf, taken := sh.buf[:0], 0
	var single []byte // one frame larger than a chunk, written without a copy
	for _, fr := range c.queue {
		if len(buf) > 0 && len(buf)+len(fr) > flushChunk {
			break
		}
		if len(buf) == 0 && len(fr) > flushChunk {
			single, taken = fr, 1
			break
		}
		buf = append(buf, fr...)
		taken++
	}
	c.queue = dropHead(c.queue, taken)
	if single != nil {
		buf = single
	} else {
		sh.buf = buf
	}
	c.queued -= len(buf)
	c.mu.Unlock()

	n, err := directWrite(c.raw, buf)

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.lastWrite.Store(now)
		if len(c.queue) > 0 || c.state() != wsFlushing {
			return true
		}
		c.setStateLocked(wsIdle)
		return false
	case errors.Is(err, errWouldBlock):
		if n > 0 {
			c.lastWrite.Store(now)
		}
		rest := buf[n:]
		if single == nil {
			rest = append([]byte(nil), rest...) // buf is the worker's
		}
		c.queue = append(c.queue, nil)
		copy(c.queue[1:], c.queue)
		c.queue[0] = rest
		c.queued += len(rest)
		c.headPartial = n > 0
		if c.state() == wsFlushing {
			c.setStateLocked(wsWriting)
		}
		c.handOffLocked()
		return false
	default:
		c.failLocked()
		return false
	}
}

// handOffLocked passes the write side from a flush worker to a writer
// goroutine of c's own; the state says what it is to do.
func (c *conn) handOffLocked() { go c.writeLoop() }

// dropHead removes the first n frames of q in place.
func dropHead(q [][]byte, n int) [][]byte {
	if n == len(q) {
		clear(q)
		return q[:0]
	}
	k := copy(q, q[n:])
	clear(q[k:])
	return q[:k]
}

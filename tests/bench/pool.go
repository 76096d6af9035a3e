package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// PingInterval is how often a Pool sends each connection a hub protocol
// Ping, below the gateway's 30s client timeout.
const PingInterval = 10 * time.Second

// Handler is called by connection i's reader with each message payload
// (ping records included); payload is valid only during the call.
type Handler func(i int, payload []byte)

// Pool is a set of client connections, each with its own reader goroutine,
// plus one goroutine that pings them all every PingInterval. Close stops
// and joins everything.
type Pool struct {
	mu      sync.Mutex // guards conns while DialUpTo fills it
	conns   []*Conn
	readers sync.WaitGroup
	ended   atomic.Int64
	stop    chan struct{}
	pinger  sync.WaitGroup
	once    sync.Once
}

// Dial connects n clients (users "u0" … "u<n-1>") through c, at most
// workers at a time, and starts each one's reader as soon as its handshake
// is done. It returns the pool and the wall time the connecting took. On
// error it closes the connections made so far.
func Dial(ctx context.Context, c *Client, n, workers int, h Handler) (*Pool, time.Duration, error) {
	return DialEach(ctx, n, workers, func(ctx context.Context, i int) (*Conn, error) {
		return c.Connect(ctx, fmt.Sprintf("u%d", i))
	}, h)
}

// DialEach is Dial with the connecting left to connect, which opens
// connection i (for instance on gateway i mod 2 with ConnectVia): it
// connects n clients, at most workers at a time, starts each one's reader
// as soon as it is connected and returns the pool and the wall time the
// connecting took. On error it closes the connections made so far.
func DialEach(ctx context.Context, n, workers int, connect func(ctx context.Context, i int) (*Conn, error), h Handler) (*Pool, time.Duration, error) {
	p, took, err := DialUpTo(ctx, n, workers, connect, h)
	if err != nil {
		p.Close()
		return nil, took, err
	}
	return p, took, nil
}

// DialUpTo is DialEach that keeps what it connected: on the first error
// (or when ctx ends) it stops connecting and returns the pool of the
// connections made so far (Len) with the error.
func DialUpTo(ctx context.Context, n, workers int, connect func(ctx context.Context, i int) (*Conn, error), h Handler) (*Pool, time.Duration, error) {
	p := &Pool{conns: make([]*Conn, n), stop: make(chan struct{})}
	// Pinging starts at once: connecting many clients may take longer than
	// the gateway's client timeout.
	p.pinger.Add(1)
	go p.pingLoop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				conn, err := connect(ctx, i)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("bench: connection %d: %w", i, err); cancel() })
					return
				}
				p.mu.Lock()
				p.conns[i] = conn
				p.mu.Unlock()
				p.readers.Add(1)
				go p.read(i, conn, h)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	p.mu.Lock()
	p.conns = slices.DeleteFunc(p.conns, func(c *Conn) bool { return c == nil })
	p.mu.Unlock()
	return p, took, firstErr
}

func (p *Pool) read(i int, c *Conn, h Handler) {
	defer p.readers.Done()
	for {
		payload, err := c.Next()
		if err != nil {
			p.ended.Add(1)
			return
		}
		h(i, payload)
	}
}

func (p *Pool) pingLoop() {
	defer p.pinger.Done()
	t := time.NewTicker(PingInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		conns := slices.Clone(p.conns)
		p.mu.Unlock()
		for _, c := range conns {
			select {
			case <-p.stop:
				return
			default:
			}
			if c != nil {
				_ = c.Ping()
			}
		}
	}
}

// Len is the number of connections.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Ended is how many readers have stopped: connections the server closed or
// that failed. It stays 0 until Close while all is well.
func (p *Pool) Ended() int64 { return p.ended.Load() }

// Close stops the pinger, closes every connection and waits for all
// readers. It is idempotent.
func (p *Pool) Close() {
	p.once.Do(func() {
		close(p.stop)
		p.pinger.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			if c != nil {
				_ = c.Close()
			}
		}
		p.readers.Wait()
	})
}

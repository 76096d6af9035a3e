package redisbus_test

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// freezer is a TCP proxy to Redis that can stop forwarding on the
// connections that subscribed to a channel (SSUBSCRIBE), leaving them
// open, while the others keep working: a subscription connection that
// silently stalls.
type freezer struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	subs   []*proxied // connections that subscribed
}

// proxied is the state of one proxied connection.
type proxied struct {
	sub    atomic.Bool // the client subscribed on it
	frozen atomic.Bool
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	f := &freezer{ln: ln, target: target}
	f.wg.Go(f.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *freezer) addr() string { return f.ln.Addr().String() }

// freezeSubscribers stops forwarding on the subscription connections
// made so far.
func (f *freezer) freezeSubscribers() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.subs {
		p.frozen.Store(true)
	}
}

func (f *freezer) accept() {
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, in, out)
		f.mu.Unlock()
		p := new(proxied)
		f.wg.Go(func() { f.pipe(out, in, p, true) })
		f.wg.Go(func() { f.pipe(in, out, p, false) })
	}
}

// pipe copies src to dst, noting subscription connections (from the
// client's side) and dropping everything on them once frozen.
func (f *freezer) pipe(dst, src net.Conn, p *proxied, fromClient bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if fromClient && !p.sub.Load() && bytes.Contains(bytes.ToLower(buf[:n]), []byte("ssubscribe")) {
				p.sub.Store(true)
				f.mu.Lock()
				f.subs = append(f.subs, p)
				f.mu.Unlock()
			}
			if !p.frozen.Load() {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// Package tcpcut is a TCP proxy on loopback whose test can cut every
// connection through it at once, without a close handshake of any protocol
// on top (a network that drops), and hold new connections back for a while
// (a network that is down).
package tcpcut

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards each connection accepted on its address to a target.
type Proxy struct {
	ln net.Listener

	mu      sync.Mutex
	target  string
	pairs   map[net.Conn]net.Conn // client side → target side
	holdTil time.Time
	cuts    int
	wg      sync.WaitGroup
	closed  bool
}

// Start listens on a free loopback port and forwards to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, pairs: map[net.Conn]net.Conn{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut resets every connection open through the proxy (both sides, with an
// RST where the platform allows, so neither end sees a clean close) and
// holds connections that arrive during the next hold back until it is
// over. It returns how many connections it cut.
func (p *Proxy) Cut(hold time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdTil = time.Now().Add(hold)
	n := 0
	for a, b := range p.pairs {
		reset(a)
		reset(b)
		delete(p.pairs, a)
		n++
	}
	p.cuts += n
	return n
}

// Route forwards the connections accepted from now on to target, as a
// load balancer that moved on to another node; open ones stay.
func (p *Proxy) Route(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// Open is how many connections are open through the proxy.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for a, b := range p.pairs {
		_ = a.Close()
		_ = b.Close()
		delete(p.pairs, a)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

// serve holds c back while a hold lasts, then pipes it to the target.
func (p *Proxy) serve(c net.Conn) {
	p.mu.Lock()
	wait := time.Until(p.holdTil)
	p.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	t, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = c.Close()
		_ = t.Close()
		return
	}
	p.pairs[c] = t
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, err := io.Copy(dst, src)
		switch {
		case err == nil || errors.Is(err, net.ErrClosed):
			// One side ended: end the other the same way.
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		default:
			// One side was reset (a process killed with data unread):
			// reset the other, or it would wait for its next write to
			// learn it.
			reset(dst)
		}
	}
	go pipe(t, c)
	go pipe(c, t)
	wg.Wait()
	p.mu.Lock()
	if p.pairs[c] == t {
		delete(p.pairs, c)
	}
	p.mu.Unlock()
	_ = c.Close()
	_ = t.Close()
}

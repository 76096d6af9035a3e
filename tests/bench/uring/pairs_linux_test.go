//go:build linux

package uring

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pairs is n connected loopback TCP socket pairs. Their client sides are
// either read as data arrives, by one reader goroutine each (on Go's
// poller, so every delivery may wake a reader), or parked: plain
// non-blocking sockets in no epoll set, read only by wait, so a delivery
// wakes nobody, as with clients on other machines.
type pairs struct {
	servers []net.Conn
	fds     []int // servers[i]'s file descriptor
	clients []net.Conn
	parked  []int          // the client sides' descriptors, if parked
	got     []atomic.Int64 // bytes read by client i
	readers sync.WaitGroup
}

// newPairs connects n pairs whose client sides are read as data arrives;
// t.Cleanup closes them and joins the readers.
func newPairs(tb testing.TB, n int) *pairs { return connectPairs(tb, n, false) }

func connectPairs(tb testing.TB, n int, parked bool) *pairs {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := &pairs{got: make([]atomic.Int64, n)}
	tb.Cleanup(p.close)
	for i := range n {
		if parked {
			fd, err := dialParked(port)
			if err != nil {
				tb.Fatalf("dial %d: %v", i, err)
			}
			p.parked = append(p.parked, fd)
		} else {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				tb.Fatalf("dial %d: %v", i, err)
			}
			p.clients = append(p.clients, c)
		}
		s, err := ln.Accept()
		if err != nil {
			tb.Fatalf("accept %d: %v", i, err)
		}
		p.servers = append(p.servers, s)
		fd, err := fdOf(s)
		if err != nil {
			tb.Fatal(err)
		}
		p.fds = append(p.fds, fd)
	}
	for i, c := range p.clients {
		p.readers.Add(1)
		go func() {
			defer p.readers.Done()
			buf := make([]byte, 16<<10)
			for {
				n, err := c.Read(buf)
				p.got[i].Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
	return p
}

// dialParked connects a plain socket to 127.0.0.1:port and makes it
// non-blocking, outside Go's poller.
func dialParked(port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("set non-blocking: %w", err)
	}
	return fd, nil
}

// fdOf is c's file descriptor, valid while c is open.
func fdOf(c net.Conn) (int, error) {
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("syscall conn: %w", err)
	}
	var fd int
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return 0, fmt.Errorf("control: %w", err)
	}
	return fd, nil
}

// fds32 is p.fds as io_uring wants them.
func (p *pairs) fds32() []int32 {
	out := make([]int32, len(p.fds))
	for i, fd := range p.fds {
		out[i] = int32(fd)
	}
	return out
}

// wait waits until every client has read want bytes in all; it fails if
// one reads more, or if they have not within timeout.
func (p *pairs) wait(want int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 64<<10)
	for i := range p.got {
		for {
			if p.parked != nil {
				if err := p.drain(i, buf); err != nil {
					return err
				}
			}
			got := p.got[i].Load()
			if got == want {
				break
			}
			if got > want {
				return fmt.Errorf("client %d read %d bytes, want %d", i, got, want)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("client %d read %d bytes after %v, want %d", i, got, timeout, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// settle waits until every client has received want bytes in all, read
// or (parked) still queued, without reading them.
func (p *pairs) settle(want int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for i := range p.got {
		for {
			got := p.got[i].Load()
			if p.parked != nil {
				q, err := unix.IoctlGetInt(p.parked[i], unix.SIOCINQ)
				if err != nil {
					return fmt.Errorf("SIOCINQ client %d: %w", i, err)
				}
				got += int64(q)
			}
			if got >= want {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("client %d received %d bytes after %v, want %d", i, got, timeout, want)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return nil
}

// drain reads what parked client i has received.
func (p *pairs) drain(i int, buf []byte) error {
	for {
		n, err := unix.Read(p.parked[i], buf)
		if n > 0 {
			p.got[i].Add(int64(n))
			continue
		}
		if err == nil || errors.Is(err, unix.EAGAIN) {
			return nil // EOF is caught by the byte count
		}
		return fmt.Errorf("read client %d: %w", i, err)
	}
}

func (p *pairs) close() {
	for _, fd := range p.parked {
		_ = unix.Close(fd)
	}
	for _, c := range p.servers {
		_ = c.Close()
	}
	for _, c := range p.clients {
		_ = c.Close()
	}
	p.readers.Wait()
}

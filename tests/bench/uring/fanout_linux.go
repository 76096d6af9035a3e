//go:build linux

package uring

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Fanout writes one frame to every one of a set of connections.
type Fanout interface {
	// Write writes frame to every connection; it returns once every byte
	// has been handed to the kernel.
	Write(frame []byte) error
	// Fallbacks is how many deliveries so far needed a second write for
	// what their first left unsent.
	Fallbacks() int
}

// ConnWrites is the gateway's way: net.Conn.Write per connection, through
// Go's poller (one write(2) each while the socket has room).
type ConnWrites struct{ Conns []net.Conn }

// Write implements Fanout.
func (f *ConnWrites) Write(frame []byte) error {
	var errs []error
	for _, c := range f.Conns {
		if _, err := c.Write(frame); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Fallbacks implements Fanout; net.Conn.Write finishes its own short writes.
func (f *ConnWrites) Fallbacks() int { return 0 }

// RawWrites is one write(2) per socket on its file descriptor, bypassing
// Go's poller; what a write leaves unsent goes through the net.Conn.
type RawWrites struct {
	Conns     []net.Conn
	FDs       []int // FDs[i] is Conns[i]'s descriptor
	fallbacks int
}

// Write implements Fanout.
func (f *RawWrites) Write(frame []byte) error {
	var errs []error
	for i, fd := range f.FDs {
		n, err := unix.Write(fd, frame)
		if n == len(frame) {
			continue
		}
		if err != nil && !errors.Is(err, unix.EAGAIN) {
			errs = append(errs, fmt.Errorf("write: %w", err))
			continue
		}
		f.fallbacks++
		if _, err := f.Conns[i].Write(frame[max(n, 0):]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Fallbacks implements Fanout.
func (f *RawWrites) Fallbacks() int { return f.fallbacks }

// RingWrites submits one IORING_OP_SEND per socket through a Ring, a batch
// of Ring.Entries sends per io_uring_enter; a short or EAGAIN send's rest
// goes through the net.Conn.
type RingWrites struct {
	Ring      *Ring
	Conns     []net.Conn
	FDs       []int32 // Conns[i]'s descriptor, or its index if registered
	fallbacks int
	errs      []error
	frame     []byte
}

// Write implements Fanout.
func (f *RingWrites) Write(frame []byte) error {
	f.errs, f.frame = f.errs[:0], frame
	if _, err := f.Ring.Send(f.FDs, frame, f.complete); err != nil {
		return err
	}
	return errors.Join(f.errs...)
}

// complete finishes a send whose result was not the frame's length.
func (f *RingWrites) complete(r Result) {
	rest := f.frame
	switch {
	case r.Res >= 0:
		rest = f.frame[r.Res:]
	case syscall.Errno(-r.Res) != unix.EAGAIN:
		f.errs = append(f.errs, fmt.Errorf("send to connection %d: %w", r.Index, syscall.Errno(-r.Res)))
		return
	}
	f.fallbacks++
	if _, err := f.Conns[r.Index].Write(rest); err != nil {
		f.errs = append(f.errs, err)
	}
}

// Fallbacks implements Fanout.
func (f *RingWrites) Fallbacks() int { return f.fallbacks }

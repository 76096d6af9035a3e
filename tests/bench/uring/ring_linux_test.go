//go:build linux

package uring

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// newTestRing locks the test to its thread (the ring is single-issuer)
// and sets up a ring, skipping where io_uring is unavailable.
func newTestRing(t *testing.T, entries uint32) *Ring {
	t.Helper()
	runtime.LockOSThread()
	r, err := NewRing(entries)
	if errors.Is(err, ErrUnsupported) {
		runtime.UnlockOSThread()
		t.Skip(err)
	}
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		runtime.UnlockOSThread()
	})
	return r
}

func TestRingSendDelivers(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		name := "fds"
		if fixed {
			name = "fixed"
		}
		t.Run(name, func(t *testing.T) {
			r := newTestRing(t, 4) // 10 sockets: batches of 4, 4 and 2
			p := newPairs(t, 10)
			f := &RingWrites{Ring: r, Conns: p.servers, FDs: p.fds32()}
			if fixed {
				if err := r.RegisterFiles(f.FDs); err != nil {
					t.Fatal(err)
				}
				for i := range f.FDs {
					f.FDs[i] = int32(i)
				}
			}
			frame := testFrame()
			for range 3 {
				if err := f.Write(frame); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.wait(int64(3*len(frame)), 5*time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A send the socket has no room for completes short; the rest must go out
// with a write, and arrive.
func TestRingShortSendFallsBack(t *testing.T) {
	r := newTestRing(t, 8)
	p := newPairs(t, 3)
	for _, c := range p.servers {
		if err := c.(*net.TCPConn).SetWriteBuffer(16 << 10); err != nil {
			t.Fatal(err)
		}
	}
	f := &RingWrites{Ring: r, Conns: p.servers, FDs: p.fds32()}
	frame := []byte(strings.Repeat("x", 1<<20))
	if err := f.Write(frame); err != nil {
		t.Fatal(err)
	}
	if f.Fallbacks() == 0 {
		t.Error("a 1 MiB send into a 16 KiB socket buffer needed no fallback write")
	}
	if err := p.wait(int64(len(frame)), 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestRawWritesDeliver(t *testing.T) {
	p := newPairs(t, 5)
	f := &RawWrites{Conns: p.servers, FDs: p.fds}
	frame := testFrame()
	if err := f.Write(frame); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(int64(len(frame)), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestFrameShape(t *testing.T) {
	f := testFrame()
	if len(f) < 90 || len(f) > 125 || f[0] != 0x81 || int(f[1]) != len(f)-2 || f[len(f)-1] != 0x1e {
		t.Fatalf("frame %q: want a ~100-byte unmasked text frame ending in 0x1e", f)
	}
}

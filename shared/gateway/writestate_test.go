package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

func init() { strictWriteStates = true } // an illegal transition fails the test that made it

// The transition table, as the doc comment of writeState lists it.
var documentedTransitions = []string{
	"Setup→Idle", "Setup→Writing", "Setup→SetupClosing", "Setup→SetupAborting", "Setup→Closed",
	"SetupClosing→Closing", "SetupClosing→Closed",
	"SetupAborting→Aborting", "SetupAborting→Closed",
	"Idle→Flushing", "Idle→Writing", "Idle→Closing", "Idle→Aborting", "Idle→Closed",
	"Flushing→Idle", "Flushing→Writing", "Flushing→Closing", "Flushing→Aborting", "Flushing→Closed",
	"Writing→Idle", "Writing→Closing", "Writing→Aborting", "Writing→Closed",
	"Closing→Aborting", "Closing→Closed",
	"Aborting→Closed",
	"Closed→Setup",
}

func TestWriteTransitionTable(t *testing.T) {
	var table []string
	for from := range numWriteStates {
		for to := range numWriteStates {
			if writeTransitions[from]&(1<<to) != 0 {
				table = append(table, from.String()+"→"+to.String())
			}
		}
	}
	want := slices.Clone(documentedTransitions)
	sort.Strings(table)
	sort.Strings(want)
	if !slices.Equal(table, want) {
		t.Fatalf("transition table\n%v\nwant\n%v", table, want)
	}
	c := &conn{}
	c.ws.Store(uint32(wsClosed))
	defer func() {
		if recover() == nil {
			t.Fatal("Closed → Idle did not panic")
		}
	}()
	c.setStateLocked(wsIdle)
}

// wsRig is one connection under test, on a Server that is never started:
// the tests play the flush worker's part themselves (flushOnce), so every
// state can be held as long as a test needs.
type wsRig struct {
	t     *testing.T
	c     *conn
	peer  net.Conn // the client's end
	mu    sync.Mutex
	steps []string
}

type rigOpts struct {
	pipe     bool // a net.Pipe: no raw socket, and every write blocks until read
	workers  bool // enqueue hands frames to the (test-driven) flush workers
	run      bool // run the real flush workers (with workers)
	http     bool // an HTTP transport connection: its request writes (take)
	mutate   func(*Config)
	noResume bool
}

func newRig(t *testing.T, o rigOpts) *wsRig {
	t.Helper()
	b := bus.NewMemory(bus.MemoryConfig{})
	t.Cleanup(func() { _ = b.Close() })
	cfg := Config{Keys: []string{testKey}, Bus: b}
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.flush.running.Store(o.workers)
	if o.run {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		srv.flush.start(stop, &wg)
		t.Cleanup(func() { close(stop); wg.Wait() }) // after the stop below
	}
	r := &wsRig{t: t}
	var nc net.Conn
	switch {
	case o.http:
	case o.pipe:
		nc, r.peer = net.Pipe()
	default:
		nc, r.peer = tcpPair(t)
	}
	if r.peer != nil {
		t.Cleanup(func() { _ = r.peer.Close(); _ = nc.Close() })
	}
	r.c = newConn(srv, nc, "h", "id", "u")
	if o.http {
		r.c.hs = &httpConn{wakeCh: make(chan struct{}, 1), endCh: make(chan struct{}), greeted: true}
		r.c.hs.ready.Store(true)
	}
	hook := func(c *conn, from, to writeState) {
		if c == r.c {
			r.mu.Lock()
			r.steps = append(r.steps, from.String()+"→"+to.String())
			r.mu.Unlock()
			drivenMu.Lock()
			driven[from.String()+"→"+to.String()] = true
			drivenMu.Unlock()
		}
	}
	writeStateHook.Store(&hook)
	t.Cleanup(func() {
		writeStateHook.Store(nil)
		// Whatever the test left, the connection ends Closed and its
		// writer is gone (the leak check would see it otherwise).
		if r.peer != nil {
			go func() { _, _ = io.Copy(io.Discard, r.peer) }()
		}
		r.c.stop(true)
	})
	if !o.noResume {
		r.c.resume()
	}
	return r
}

// tcpPair returns both ends of a loopback TCP connection, so that a client
// that does not read blocks a large write.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	// A small send buffer; the client's receive buffer keeps its default
	// (far below the 1 MiB frames the tests write), as shrinking it on an
	// open connection slows the transfer to a crawl.
	_ = server.(*net.TCPConn).SetWriteBuffer(4096)
	return server, client
}

// want checks the transitions so far.
func (r *wsRig) want(steps ...string) {
	r.t.Helper()
	r.mu.Lock()
	got := slices.Clone(r.steps)
	r.mu.Unlock()
	if !slices.Equal(got, steps) {
		r.t.Fatalf("transitions %v, want %v", got, steps)
	}
}

// waitState waits until the connection is in state s.
func (r *wsRig) waitState(s writeState) {
	r.t.Helper()
	waitFor(r.t, func() bool { return r.c.state() == s })
}

// read reads exactly want from the client's end.
func (r *wsRig) read(want []byte) {
	r.t.Helper()
	got := make([]byte, len(want))
	_ = r.peer.SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.ReadFull(r.peer, got); err != nil {
		r.t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, want) {
		r.t.Fatalf("read %q, want %q", clip(string(got)), clip(string(want)))
	}
}

// readAll reads until the server's end is closed (or 15s) and returns it.
func (r *wsRig) readAll() []byte {
	r.t.Helper()
	_ = r.peer.SetReadDeadline(time.Now().Add(15 * time.Second))
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, r.peer)
	return buf.Bytes()
}

// flush runs one round of the flush worker for the connection.
func (r *wsRig) flush() bool {
	return r.c.flushOnce(&r.c.srv.flush.shards[r.c.shard], time.Now().UnixNano())
}

// queueTaken waits until the writer took everything queued.
func (r *wsRig) queueTaken() {
	r.t.Helper()
	waitFor(r.t, func() bool {
		r.c.mu.Lock()
		defer r.c.mu.Unlock()
		return len(r.c.queue) == 0
	})
}

var finalFrame = []byte("FINAL")

func frame(s string) []byte { return []byte(s) }

func writeStatesSetup(t *testing.T) {
	t.Run("resume with nothing queued, then stop", func(t *testing.T) {
		r := newRig(t, rigOpts{})
		r.c.stop(false)
		r.want("Setup→Idle", "Idle→Closed")
	})
	t.Run("frames queued while set up are written on resume", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true})
		if !r.c.enqueue(frame("a")) {
			t.Fatal("refused while set up")
		}
		r.c.resume()
		r.read(frame("a"))
		r.waitState(wsIdle)
		r.want("Setup→Writing", "Writing→Idle")
	})
	t.Run("close while set up waits for resume", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true})
		r.c.enqueue(frame("a"))
		r.c.close("bye", finalFrame)
		if r.c.enqueue(frame("b")) {
			t.Fatal("a frame was accepted after the close")
		}
		r.want("Setup→SetupClosing")
		r.c.resume()
		r.read(append(frame("a"), finalFrame...))
		r.waitState(wsClosed)
		r.want("Setup→SetupClosing", "SetupClosing→Closing", "Closing→Closed")
	})
	t.Run("overflow while set up drops the queue", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true, mutate: func(c *Config) { c.QueueMessages = 1 }})
		r.c.enqueue(frame("a"))
		if r.c.enqueue(frame("b")) {
			t.Fatal("a frame over the queue bound was accepted")
		}
		r.want("Setup→SetupAborting")
		r.c.resume()
		r.waitState(wsClosed)
		_ = r.c.nc.Close()
		got := r.readAll()
		if !bytes.Equal(got, slowClientFinal()) {
			t.Fatalf("the client got %q, want only the slow client close", got)
		}
		r.want("Setup→SetupAborting", "SetupAborting→Aborting", "Aborting→Closed")
		if r.c.reason() != ReasonSlowClient {
			t.Fatalf("reason %q", r.c.reason())
		}
	})
	t.Run("stop while set up", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true})
		r.c.stop(false)
		r.want("Setup→Closed")
	})
	t.Run("stop after a close while set up", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true})
		r.c.close("bye", finalFrame)
		r.c.stop(false)
		r.c.resume() // too late: nothing is written
		r.want("Setup→SetupClosing", "SetupClosing→Closed")
	})
	t.Run("stop after an overflow while set up", func(t *testing.T) {
		r := newRig(t, rigOpts{noResume: true, mutate: func(c *Config) { c.QueueMessages = 1 }})
		r.c.enqueue(frame("a"))
		r.c.enqueue(frame("b"))
		r.c.stop(false)
		r.want("Setup→SetupAborting", "SetupAborting→Closed")
	})
}

func slowClientFinal() []byte {
	return append(closeMessageFrame(protoJSON, ReasonSlowClient, false), normalCloseFrame...)
}

func writeStatesFlushWorker(t *testing.T) {
	t.Run("flushed", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true})
		r.c.enqueue(frame("a"))
		r.c.enqueue(frame("b")) // shares the worker's write
		r.want("Setup→Idle", "Idle→Flushing")
		if r.flush() {
			t.Fatal("still owned after writing everything")
		}
		r.read(frame("ab"))
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Idle")
	})
	t.Run("socket full: handed to the writer", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true})
		big := bytes.Repeat([]byte("x"), 1<<20)
		r.c.enqueue(big)
		r.flush()
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Writing")
		r.read(big)
		r.waitState(wsIdle)
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Writing", "Writing→Idle")
	})
	t.Run("closed while waiting for the worker", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true})
		r.c.enqueue(frame("a"))
		r.c.close("bye", finalFrame)
		r.flush() // hands off to the writer, which flushes, then closes
		r.read(append(frame("a"), finalFrame...))
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Closing", "Closing→Closed")
	})
	t.Run("overflow while waiting for the worker", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true, mutate: func(c *Config) { c.QueueMessages = 2 }})
		r.c.enqueue(frame("a"))
		r.c.enqueue(frame("b"))
		if r.c.enqueue(frame("c")) {
			t.Fatal("a frame over the queue bound was accepted")
		}
		r.flush()
		r.waitState(wsClosed)
		_ = r.c.nc.Close()
		if got := r.readAll(); !bytes.Equal(got, slowClientFinal()) {
			t.Fatalf("the client got %q, want only the slow client close", got)
		}
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Aborting", "Aborting→Closed")
	})
	t.Run("stopped while waiting for the worker", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true})
		r.c.enqueue(frame("a"))
		stopped := make(chan struct{})
		go func() { r.c.stop(false); close(stopped) }()
		r.waitState(wsAborting)
		r.flush()
		<-stopped
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Aborting", "Aborting→Closed")
	})
	t.Run("write failed", func(t *testing.T) {
		r := newRig(t, rigOpts{workers: true})
		r.c.enqueue(frame("a"))
		_ = r.c.nc.Close()
		r.flush()
		r.want("Setup→Idle", "Idle→Flushing", "Flushing→Closed")
		if r.c.readCap.Load() == 0 {
			t.Fatal("a failed write did not end reading")
		}
	})
}

func writeStatesDirect(t *testing.T) {
	t.Run("direct writes, then one that would block", func(t *testing.T) {
		r := newRig(t, rigOpts{})
		r.c.enqueue(frame("a")) // written in place: no transition
		r.want("Setup→Idle")
		big := bytes.Repeat([]byte("y"), 1<<20)
		r.c.enqueue(big)
		r.want("Setup→Idle", "Idle→Writing")
		r.read(append(frame("a"), big...))
		r.waitState(wsIdle)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Idle")
	})
	t.Run("direct write failed", func(t *testing.T) {
		r := newRig(t, rigOpts{})
		_ = r.c.nc.Close()
		if r.c.enqueue(frame("a")) {
			t.Fatal("a frame was accepted by a broken connection")
		}
		r.want("Setup→Idle", "Idle→Closed")
	})
	t.Run("no raw socket: the writer", func(t *testing.T) {
		r := newRig(t, rigOpts{pipe: true})
		r.c.enqueue(frame("a"))
		r.read(frame("a"))
		r.waitState(wsIdle)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Idle")
	})
	t.Run("close while idle", func(t *testing.T) {
		r := newRig(t, rigOpts{})
		r.c.close("bye", finalFrame)
		r.read(finalFrame)
		r.waitState(wsClosed)
		if r.c.enqueue(frame("a")) {
			t.Fatal("a frame was accepted after the close")
		}
		r.want("Setup→Idle", "Idle→Closing", "Closing→Closed")
	})
	t.Run("one frame over QueueBytes while idle", func(t *testing.T) {
		r := newRig(t, rigOpts{pipe: true, mutate: func(c *Config) { c.QueueBytes = 8 }})
		if r.c.enqueue(bytes.Repeat([]byte("z"), 9)) {
			t.Fatal("a frame over QueueBytes was accepted")
		}
		r.read(slowClientFinal())
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Aborting", "Aborting→Closed")
	})
}

// The writer goroutine blocked in a write (a net.Pipe blocks every write
// until the client reads) while the connection is closed, aborted,
// stopped or times out.
func writeStatesWriterRaces(t *testing.T) {
	blocked := func(t *testing.T, mutate func(*Config)) *wsRig {
		r := newRig(t, rigOpts{pipe: true, mutate: mutate})
		r.c.enqueue(frame("a"))
		r.queueTaken() // the writer holds "a" in a blocked write
		return r
	}
	t.Run("close during a write", func(t *testing.T) {
		r := blocked(t, nil)
		r.c.enqueue(frame("b"))
		r.c.close("bye", finalFrame)
		r.read(frame("abFINAL"))
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Closing", "Closing→Closed")
	})
	t.Run("slow client overflow during a write", func(t *testing.T) {
		r := blocked(t, func(c *Config) { c.QueueMessages = 2 })
		r.c.enqueue(frame("b"))
		r.c.enqueue(frame("c"))
		if r.c.enqueue(frame("d")) {
			t.Fatal("a frame over the queue bound was accepted")
		}
		// The write in flight completes; the queue is dropped.
		r.read(append(frame("a"), slowClientFinal()...))
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Aborting", "Aborting→Closed")
	})
	t.Run("writer deadline", func(t *testing.T) {
		r := blocked(t, func(c *Config) { c.WriteTimeout = 50 * time.Millisecond })
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Closed")
		if r.c.readCap.Load() == 0 {
			t.Fatal("a timed-out write did not end reading")
		}
	})
	t.Run("deadline during the close", func(t *testing.T) {
		r := blocked(t, func(c *Config) { c.WriteTimeout = 50 * time.Millisecond })
		r.c.close("bye", finalFrame)
		r.waitState(wsClosed)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Closing", "Closing→Closed")
	})
	t.Run("stop during a write", func(t *testing.T) {
		r := blocked(t, nil)
		r.c.enqueue(frame("b"))
		stopped := make(chan struct{})
		go func() { r.c.stop(false); close(stopped) }()
		r.waitState(wsAborting)
		r.read(frame("a")) // "b" is dropped: nobody reads any more
		<-stopped
		r.want("Setup→Idle", "Idle→Writing", "Writing→Aborting", "Aborting→Closed")
	})
	t.Run("client gone during the close", func(t *testing.T) {
		r := blocked(t, nil)
		r.c.close("bye", finalFrame)
		start := time.Now()
		r.c.stop(true) // aborts the write in flight at once
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("stop took %v", took)
		}
		r.want("Setup→Idle", "Idle→Writing", "Writing→Closing", "Closing→Aborting", "Aborting→Closed")
	})
}

// Server-Sent Events and Long Polling: the woken request takes the frames.
func writeStatesHTTPTake(t *testing.T) {
	t.Run("take, close, take", func(t *testing.T) {
		r := newRig(t, rigOpts{http: true})
		r.c.enqueue(frame("a"))
		if got, closing := r.c.take(); len(got) != 1 || closing {
			t.Fatalf("take: %q %v", got, closing)
		}
		if got, closing := r.c.take(); len(got) != 0 || closing {
			t.Fatalf("take of nothing: %q %v", got, closing)
		}
		r.c.enqueue(frame("b"))
		r.c.close("bye", finalFrame)
		got, closing := r.c.take()
		if !closing || string(bytes.Join(got, nil)) != "bFINAL" {
			t.Fatalf("final take: %q %v", got, closing)
		}
		if got, closing := r.c.take(); len(got) != 0 || !closing {
			t.Fatalf("take after the close: %q %v", got, closing)
		}
		r.want("Setup→Idle", "Idle→Writing", "Writing→Idle", "Idle→Writing", "Writing→Closing", "Closing→Closed")
	})
	t.Run("overflow drops the queue", func(t *testing.T) {
		r := newRig(t, rigOpts{http: true, mutate: func(c *Config) { c.QueueMessages = 1 }})
		r.c.enqueue(frame("a"))
		r.c.enqueue(frame("b"))
		got, closing := r.c.take()
		if !closing || !bytes.Equal(bytes.Join(got, nil), slowClientFinal()) {
			t.Fatalf("take: %q %v", got, closing)
		}
		r.want("Setup→Idle", "Idle→Writing", "Writing→Aborting", "Aborting→Closed")
	})
	t.Run("stop does not wait for a request", func(t *testing.T) {
		r := newRig(t, rigOpts{http: true})
		r.c.enqueue(frame("a"))
		r.c.stop(false)
		r.want("Setup→Idle", "Idle→Writing", "Writing→Closed")
	})
}

// A stateful connection whose socket dropped (detached, Closed) takes a
// new socket: Closed → Setup, and the writer writes the server's Sequence
// and the unacknowledged frame to it.
func writeStatesReattach(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.c.sr = newResumeState()
	r.c.enqueue(frame("a")) // written in place, and kept
	r.c.mu.Lock()
	r.c.sr.detached = true
	r.c.mu.Unlock()
	r.c.stop(true)
	nc, peer := tcpPair(t)
	t.Cleanup(func() { _ = peer.Close(); _ = nc.Close() })
	if n, outcome := r.c.srv.attach(r.c, nc); n != 1 || outcome != ReconnectResumed {
		t.Fatalf("attach: %d %s", n, outcome)
	}
	want := append(sequenceFrame(protoJSON, hubproto.TypeSequence, 1), frame("a")...)
	got := make([]byte, len(want))
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("replay %q %v, want %q", got, err, want)
	}
	r.mu.Lock()
	steps := slices.Clone(r.steps)
	r.mu.Unlock()
	if !slices.Equal(steps[:4], []string{"Setup→Idle", "Idle→Closed", "Closed→Setup", "Setup→Writing"}) {
		t.Fatalf("transitions %v", steps)
	}
}

// drivenMu guards driven: every transition a rig's connection made.
var (
	drivenMu sync.Mutex
	driven   = map[string]bool{}
)

// TestWriteStates drives every transition of the table with a real socket
// (or pipe) under the connection, and checks that none is left out.
func TestWriteStates(t *testing.T) {
	drivenMu.Lock()
	clear(driven)
	drivenMu.Unlock()
	t.Run("setup", writeStatesSetup)
	t.Run("flush worker", writeStatesFlushWorker)
	t.Run("direct", writeStatesDirect)
	t.Run("writer races", writeStatesWriterRaces)
	t.Run("http take", writeStatesHTTPTake)
	t.Run("reattach", writeStatesReattach)
	if t.Failed() {
		return
	}
	drivenMu.Lock()
	defer drivenMu.Unlock()
	for _, tr := range documentedTransitions {
		if !driven[tr] {
			t.Errorf("transition %s is never driven", tr)
		}
	}
}

// Frames from several goroutines, a close and a stop race with the real
// flush workers and the writer; whatever wins, the client receives whole
// frames, each goroutine's in order, the final frames only last, and the
// connection ends Closed. Run with -race, an illegal transition panics.
func TestWriteStateConcurrentEvents(t *testing.T) {
	const senders, frames = 4, 300
	for round := range 20 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			queue := 4096 // the close or the stop wins
			if round%3 == 0 {
				queue = 64 // the senders outrun the client: a slow client
			}
			r := newRig(t, rigOpts{workers: true, run: true, mutate: func(c *Config) { c.QueueMessages = queue }})
			received := make(chan []byte, 1)
			go func() {
				var buf bytes.Buffer
				_, _ = io.Copy(&buf, r.peer)
				received <- buf.Bytes()
			}()
			var wg sync.WaitGroup
			for g := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range frames {
						r.c.enqueue([]byte(fmt.Sprintf("%d%07d", g, i)))
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(round%5) * 200 * time.Microsecond)
				r.c.close("bye", []byte("FINAL---"))
			}()
			if round%2 == 0 {
				time.Sleep(time.Duration(round) * 100 * time.Microsecond)
				r.c.stop(round%4 == 0)
			}
			wg.Wait()
			r.c.stop(false)
			if st := r.c.state(); st != wsClosed {
				t.Fatalf("state %v after stop", st)
			}
			_ = r.c.nc.Close()
			got := <-received
			// A sender that outran the client closes it as a slow client.
			got = bytes.TrimSuffix(got, slowClientFinal())
			if len(got)%8 != 0 {
				t.Fatalf("%d bytes: a frame was cut", len(got))
			}
			last := [senders]int{-1, -1, -1, -1}
			for off := 0; off < len(got); off += 8 {
				f := string(got[off : off+8])
				if f == "FINAL---" {
					if off+8 != len(got) {
						t.Fatal("frames after the final frame")
					}
					continue
				}
				var g, i int
				if _, err := fmt.Sscanf(f, "%1d%07d", &g, &i); err != nil || g >= senders {
					t.Fatalf("corrupt frame %q at %d", f, off)
				}
				if i <= last[g] {
					t.Fatalf("sender %d: frame %d after %d", g, i, last[g])
				}
				last[g] = i
			}
		})
	}
}

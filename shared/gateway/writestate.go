package gateway

import (
	"fmt"
	"sync/atomic"
)

// writeState is where the write side of a connection stands: who may write
// to its socket now, and how far its close has got. It is the only record
// of either: every change goes through conn.setStateLocked, under conn.mu,
// which checks it against the table below (writeTransitions; an illegal
// change panics under test).
//
// Owners. At most one party writes at a time: nobody (Idle: the next frame
// is written in place by whoever queues it, or handed to a flush worker),
// a flush worker (Flushing, flush.go), or the connection's writer
// (Writing, Closing, Aborting): its writer goroutine (writeLoop), or, for
// Server-Sent Events and Long Polling, the request woken to write (take).
//
// Transitions, by event (from → to):
//
//	resume      Setup → Idle (nothing queued) | Writing (frames queued: the writer starts)
//	            SetupClosing → Closing, SetupAborting → Aborting (the writer starts)
//	frame       Idle → Flushing (queued and handed to a flush worker)
//	            Idle → Writing (no raw socket or no workers: the writer starts;
//	                            or a direct write that would block)
//	            Idle → Closed (a direct write failed)
//	            Setup, Flushing, Writing: unchanged (queued)
//	overflow    Setup → SetupAborting; Flushing, Writing → Aborting (slow client);
//	            Idle → Aborting (one frame over QueueBytes: the writer starts)
//	close       Setup → SetupClosing; Idle → Closing (the writer starts);
//	            Flushing, Writing → Closing
//	flushed     Flushing → Idle (the worker wrote everything queued)
//	blocked     Flushing → Writing (socket full: the worker hands off to the writer)
//	drained     Writing → Idle (the writer found the queue empty and exits;
//	                         or the woken request found nothing to take)
//	finished    Closing, Aborting → Closed (the final frames were written,
//	                                        or taken by the woken request)
//	failed      Flushing, Writing, Closing, Aborting → Closed (a write failed)
//	stop        Setup, SetupClosing, SetupAborting, Idle → Closed;
//	            Flushing, Writing → Aborting (no final frames);
//	            HTTP transports: any → Closed (the woken request is not waited for)
//	peer gone   Flushing, Writing, Closing → Aborting (then stop)
//	reattach    Closed → Setup (a stateful connection detached after its
//	            socket dropped gets a new one: resume_ws.go)
//
// A flush worker that finds its connection Closing or Aborting hands it to
// the writer goroutine without a change. Frames are refused from
// SetupClosing on. Closing writes the queue, then the final frames;
// Aborting drops the queue (but for a frame already partly written, which
// must be completed or the stream is corrupt) and bounds every write by
// abortGrace. Closed is final but for a detached stateful connection:
// nothing is written any more, and stop returns once a connection is
// Closed.
type writeState uint32

// Write states.
const (
	wsSetup         writeState = iota // being set up: frames queue, nothing is written
	wsSetupClosing                    // closed while set up: once resumed, the queue then the final frames
	wsSetupAborting                   // aborted while set up: once resumed, the final frames only
	wsIdle                            // open, nobody writing
	wsFlushing                        // open, a flush worker owns the write side
	wsWriting                         // open, the writer owns the write side
	wsClosing                         // the writer writes the queue, then the final frames
	wsAborting                        // the writer drops the queue and writes the final frames within abortGrace
	wsClosed                          // nothing more is written
	numWriteStates
)

var writeStateNames = [numWriteStates]string{
	"Setup", "SetupClosing", "SetupAborting", "Idle", "Flushing", "Writing", "Closing", "Aborting", "Closed",
}

func (s writeState) String() string {
	if s < numWriteStates {
		return writeStateNames[s]
	}
	return fmt.Sprintf("writeState(%d)", uint32(s))
}

// closing reports whether the connection takes no more frames.
func (s writeState) closing() bool {
	return s == wsSetupClosing || s == wsSetupAborting || s >= wsClosing
}

// setup reports whether the connection waits for resume.
func (s writeState) setup() bool { return s <= wsSetupAborting }

// writeTransitions lists the legal changes: writeTransitions[from] has bit
// to set. It is the transition table of writeState written as data.
var writeTransitions = func() (t [numWriteStates]uint16) {
	allow := func(from writeState, to ...writeState) {
		for _, s := range to {
			t[from] |= 1 << s
		}
	}
	allow(wsSetup, wsIdle, wsWriting, wsSetupClosing, wsSetupAborting, wsClosed)
	allow(wsSetupClosing, wsClosing, wsClosed)
	allow(wsSetupAborting, wsAborting, wsClosed)
	allow(wsIdle, wsFlushing, wsWriting, wsClosing, wsAborting, wsClosed)
	allow(wsFlushing, wsIdle, wsWriting, wsClosing, wsAborting, wsClosed)
	allow(wsWriting, wsIdle, wsClosing, wsAborting, wsClosed)
	allow(wsClosing, wsAborting, wsClosed)
	allow(wsAborting, wsClosed)
	allow(wsClosed, wsSetup) // a stateful connection's new socket (resume_ws.go)
	return t
}()

// Test hooks, set before any connection exists. strictWriteStates makes
// an illegal transition panic; otherwise it is made anyway, as the lesser
// harm to a running node. writeStateHook sees every transition, under
// conn.mu.
var (
	strictWriteStates bool
	writeStateHook    atomic.Pointer[func(c *conn, from, to writeState)]
)

// state returns the write state. It takes no lock: a reader outside conn.mu
// (a blocking write checking for Aborting) sees a recent value.
func (c *conn) state() writeState { return writeState(c.ws.Load()) }

// setStateLocked moves the write side to to; conn.mu is held. Entering
// Closed wakes stop.
func (c *conn) setStateLocked(to writeState) {
	from := c.state()
	if from == to {
		return
	}
	if strictWriteStates && writeTransitions[from]&(1<<to) == 0 {
		panic(fmt.Sprintf("gateway: illegal write transition %v → %v", from, to))
	}
	if hook := writeStateHook.Load(); hook != nil {
		(*hook)(c, from, to)
	}
	c.ws.Store(uint32(to))
	if to == wsClosed && c.closedCh != nil {
		close(c.closedCh)
	}
}

// waitClosed returns once the connection is Closed. The channel is made only
// for a wait that must block, so an idle connection carries none.
func (c *conn) waitClosed() {
	c.mu.Lock()
	if c.state() == wsClosed {
		c.mu.Unlock()
		return
	}
	if c.closedCh == nil {
		c.closedCh = make(chan struct{})
	}
	ch := c.closedCh
	c.mu.Unlock()
	<-ch
}

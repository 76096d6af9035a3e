package bench

import (
	"encoding/binary"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// AckDelay is how long a stateful connection waits, after the first
// message since its last Ack, before acknowledging: the official clients'
// one-second Ack timer.
const AckDelay = time.Second

var statefulHandshakes = [...][]byte{
	JSON:        []byte(`{"protocol":"json","version":2}` + "\x1e"),
	MessagePack: []byte(`{"protocol":"messagepack","version":2}` + "\x1e"),
}

// Acker acknowledges the messages the stateful connections of a Client
// receive, as the JavaScript client's MessageBuffer does: a counted
// message (Invocation, StreamItem, Completion, StreamInvocation,
// CancelInvocation) arms a one-shot timer of AckDelay unless one is armed;
// when it fires, one Ack carries the id of the last message received by
// then. Every timer has the same delay, so they fall due in the order
// they were armed: one goroutine keeps them in a queue and sends the Acks,
// instead of a timer per connection. Close stops it.
type Acker struct {
	delay time.Duration

	mu   sync.Mutex
	due  []ackTimer // oldest first
	wake chan struct{}
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once

	acks       atomic.Int64
	maxCovered atomic.Int64
}

// ackTimer is one armed timer: c acknowledges at at.
type ackTimer struct {
	c  *Conn
	at time.Time
}

// ackState is a stateful connection's side of the numbering: recv is the
// id of the last counted message received (the reader's), armed that a
// timer is due, acked the id the last Ack carried (the Acker's).
type ackState struct {
	recv  atomic.Int64
	armed atomic.Bool
	acked int64
}

// NewAcker starts an Acker whose timers run for delay.
func NewAcker(delay time.Duration) *Acker {
	a := &Acker{delay: delay, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	a.done.Add(1)
	go a.loop()
	return a
}

// Acks is the number of Ack messages sent.
func (a *Acker) Acks() int64 { return a.acks.Load() }

// MaxCovered is the most messages one Ack acknowledged: about the most a
// connection's server kept unacknowledged at a time.
func (a *Acker) MaxCovered() int64 { return a.maxCovered.Load() }

// Close stops the timers; no Ack is sent after it returns. It is
// idempotent.
func (a *Acker) Close() {
	a.once.Do(func() {
		close(a.stop)
		a.done.Wait()
	})
}

// received counts a message c received; it is called by c's reader.
func (a *Acker) received(c *Conn, payload []byte) {
	if !counted(payload, c.proto) {
		return
	}
	c.ack.recv.Add(1)
	if !c.ack.armed.CompareAndSwap(false, true) {
		return
	}
	a.mu.Lock()
	a.due = append(a.due, ackTimer{c: c, at: time.Now().Add(a.delay)})
	first := len(a.due) == 1
	a.mu.Unlock()
	if first {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

func (a *Acker) loop() {
	defer a.done.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		a.mu.Lock()
		var next ackTimer
		if len(a.due) > 0 {
			next = a.due[0]
		}
		now := time.Now()
		if next.c != nil && !next.at.After(now) {
			a.due[0] = ackTimer{}
			a.due = a.due[1:]
			a.mu.Unlock()
			a.send(next.c)
			continue
		}
		a.mu.Unlock()
		wait := time.Hour
		if next.c != nil {
			wait = next.at.Sub(now)
		}
		t.Reset(wait)
		select {
		case <-a.stop:
			return
		case <-a.wake:
		case <-t.C:
		}
	}
}

// send acknowledges everything c received so far, then disarms its timer
// (messages that arrive while the Ack is written arm none, as in the
// JavaScript client). A failed write is ignored: the connection is gone.
func (a *Acker) send(c *Conn) {
	seq := c.ack.recv.Load()
	if covered := seq - c.ack.acked; covered > a.maxCovered.Load() {
		a.maxCovered.Store(covered) // only this goroutine stores
	}
	c.ack.acked = seq
	if c.write(ackRecord(c.proto, seq), c.proto == MessagePack) == nil {
		a.acks.Add(1)
	}
	c.ack.armed.Store(false)
}

// ackRecord encodes a hub protocol Ack of sequence id seq.
func ackRecord(p Protocol, seq int64) []byte {
	if p == JSON {
		return append(strconv.AppendInt([]byte(`{"type":8,"sequenceId":`), seq, 10), '}', 0x1e)
	}
	// MessagePack: [8, seq] after its VarInt length.
	body := []byte{0x92, 0x08, 0xcf}
	body = binary.BigEndian.AppendUint64(body, uint64(seq))
	return append([]byte{byte(len(body))}, body...)
}

// counted reports whether payload, one hub message record, is of a type
// that is numbered for stateful reconnect.
func counted(payload []byte, p Protocol) bool {
	t := -1
	if p == JSON {
		const prefix = `{"type":`
		if len(payload) > len(prefix) && string(payload[:len(prefix)]) == prefix {
			t = int(payload[len(prefix)] - '0')
			if len(payload) > len(prefix)+1 && payload[len(prefix)+1] != ',' && payload[len(prefix)+1] != '}' {
				t = -1 // two digits: 10 and up are not counted
			}
		}
	} else {
		i := 0
		for i < len(payload) && i < 5 && payload[i]&0x80 != 0 {
			i++
		}
		i++ // the last VarInt byte
		if len(payload) > i+1 && payload[i]&0xf0 == 0x90 {
			t = int(payload[i+1])
		}
	}
	return t >= 1 && t <= 5
}

package gateway

import (
	"sync"
	"time"
)

// keeper sends keep-alive Pings for every connection of a Server from one
// goroutine, with a timing wheel: each connection sits in the slot of its
// next check, so a tick touches only the connections due then and an idle
// connection costs one pointer, not a goroutine or a timer of its own.
// The same goroutine ends stateful connections whose reconnect window ran
// out, and once a second sends the Acks stateful connections owe their
// clients (resume.go).
type keeper struct {
	interval time.Duration
	tick     time.Duration
	// ackRound, when set, runs after each Ack round.
	ackRound func()

	mu    sync.Mutex
	slots [][]*conn
	cur   int // the slot the next tick checks

	ackMu sync.Mutex
	acks  []*conn // stateful connections owing their client an Ack
}

// ackInterval is how often stateful connections acknowledge what their
// clients sent (the official clients do the same, about once a second).
const ackInterval = time.Second

// keeperSlots is how many ticks one interval spans (plus one slot).
const keeperSlots = 8

func newKeeper(interval time.Duration) *keeper {
	return &keeper{
		interval: interval,
		tick:     max(interval/keeperSlots, time.Millisecond),
		slots:    make([][]*conn, keeperSlots+1),
	}
}

// add schedules c's first check one interval from now, or when its
// authentication expires if that is sooner.
func (k *keeper) add(c *conn) {
	delay := k.interval
	if c.expires != 0 {
		delay = min(delay, time.Until(time.Unix(0, c.expires)))
	}
	k.mu.Lock()
	k.insertLocked(c, delay)
	k.mu.Unlock()
}

// insertLocked puts c in the slot checked after delay (rounded up to ticks).
func (k *keeper) insertLocked(c *conn, delay time.Duration) {
	steps := int((delay + k.tick - 1) / k.tick)
	steps = min(max(steps, 1), len(k.slots)-1)
	i := (k.cur + steps - 1) % len(k.slots)
	c.kslot, c.kpos = i, len(k.slots[i])
	k.slots[i] = append(k.slots[i], c)
}

// reschedule moves c's next check to delay from now (a detached stateful
// connection: its window's end), putting it back in the wheel if a check
// dropped it.
func (k *keeper) reschedule(c *conn, delay time.Duration) {
	k.mu.Lock()
	k.removeLocked(c)
	k.insertLocked(c, delay)
	k.mu.Unlock()
}

// wantAck adds c to the next Ack round; the caller holds c.mu and had
// c.sr.ackPending unset.
func (k *keeper) wantAck(c *conn) {
	k.ackMu.Lock()
	k.acks = append(k.acks, c)
	k.ackMu.Unlock()
}

// sendAcks is one Ack round.
func (k *keeper) sendAcks(spare []*conn) []*conn {
	k.ackMu.Lock()
	due := k.acks
	k.acks = spare[:0]
	k.ackMu.Unlock()
	for i, c := range due {
		c.sendAck()
		due[i] = nil
	}
	if k.ackRound != nil {
		k.ackRound()
	}
	return due
}

// remove takes an ended connection out of its slot at once, so the wheel
// does not hold it (and its socket's memory) until its next check.
func (k *keeper) remove(c *conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.removeLocked(c)
}

func (k *keeper) removeLocked(c *conn) {
	if c.kslot < 0 || c.kslot >= len(k.slots) {
		return // being checked right now: check drops it
	}
	s := k.slots[c.kslot]
	if c.kpos >= len(s) || s[c.kpos] != c {
		return
	}
	last := len(s) - 1
	s[c.kpos] = s[last]
	s[c.kpos].kpos = c.kpos
	s[last] = nil
	k.slots[c.kslot] = s[:last]
	c.kslot = -1
}

// run checks one slot per tick until stop is closed.
func (k *keeper) run(stop <-chan struct{}) {
	t := time.NewTicker(k.tick)
	defer t.Stop()
	at := time.NewTicker(ackInterval)
	defer at.Stop()
	var due, acks []*conn
	for {
		select {
		case <-stop:
			return
		case <-at.C:
			acks = k.sendAcks(acks)
		case now := <-t.C:
			k.mu.Lock()
			due, k.slots[k.cur] = k.slots[k.cur], due[:0]
			k.cur = (k.cur + 1) % len(k.slots)
			for _, c := range due {
				c.kslot = -1 // out of the wheel while checked
			}
			k.mu.Unlock()
			for i, c := range due {
				k.check(c, now)
				due[i] = nil
			}
		}
	}
}

// check pings c when it has not been written to for about an interval,
// closes it when its authentication expired (asrs.s.coae) and schedules
// its next check; closed connections are dropped.
func (k *keeper) check(c *conn, now time.Time) {
	if c.sr != nil && c.isClosing() {
		if next, keep, handled := c.windowCheck(now); handled {
			if keep {
				k.mu.Lock()
				if c.kslot < 0 {
					k.insertLocked(c, next)
				}
				k.mu.Unlock()
			}
			return
		}
	}
	if c.isClosing() {
		return
	}
	idle := now.Sub(time.Unix(0, c.lastWrite.Load()))
	next := k.interval - idle
	if next <= k.tick/2 {
		c.enqueueControl(pingFrames[c.proto])
		next = k.interval
	}
	next, expired := c.expireIfDue(now, next)
	if expired {
		return
	}
	k.mu.Lock()
	if !c.isClosing() && c.kslot < 0 { // checked under k.mu: a remove after the close wins
		k.insertLocked(c, next)
	}
	k.mu.Unlock()
}

package bus

import (
	"container/heap"
	"time"
)

// membership is a user-level group membership.
type membership struct {
	hub, group, user string
	expires          time.Time // zero: never
	index            int       // position in the expiry heap; -1 when absent
	// noTTL marks a membership added without ttl; updated is when it was
	// last added, which orders the user's noTTL memberships (the oldest
	// beyond MaxUserGroupsWithoutTTL is removed).
	noTTL   bool
	updated time.Time
}

// activeAt reports whether the membership is unexpired at now.
func (ms *membership) activeAt(now time.Time) bool {
	return ms.expires.IsZero() || ms.expires.After(now)
}

// expiryHeap is a min-heap of expiring memberships, soonest first; it
// implements heap.Interface and keeps membership.index current.
type expiryHeap []*membership

func (q expiryHeap) Len() int           { return len(q) }
func (q expiryHeap) Less(i, j int) bool { return q[i].expires.Before(q[j].expires) }

func (q expiryHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *expiryHeap) Push(x any) {
	ms := x.(*membership)
	ms.index = len(*q)
	*q = append(*q, ms)
}

func (q *expiryHeap) Pop() any {
	old := *q
	n := len(old) - 1
	ms := old[n]
	old[n] = nil
	ms.index = -1
	*q = old[:n]
	return ms
}

// setExpiryLocked sets when ms expires (zero: never) and keeps the heap in
// step. Memory.mu must be held.
func (m *Memory) setExpiryLocked(ms *membership, expires time.Time) {
	ms.expires = expires
	switch {
	case expires.IsZero() && ms.index >= 0:
		heap.Remove(&m.expiry, ms.index)
	case expires.IsZero():
	case ms.index >= 0:
		heap.Fix(&m.expiry, ms.index)
	default:
		heap.Push(&m.expiry, ms)
	}
}

// dropMembershipLocked forgets ms. Memory.mu must be held.
func (m *Memory) dropMembershipLocked(h *hubState, ms *membership) {
	m.setExpiryLocked(ms, time.Time{})
	h.dropMembership(ms)
}

// sweepLoop runs sweep every interval until Close.
func (m *Memory) sweepLoop(interval time.Duration) {
	defer close(m.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// sweep removes the memberships expired by now, takes the users'
// connections out of those groups and delivers one KindRemoveFromGroup
// envelope (Scope User) per membership. It only looks at expired entries.
func (m *Memory) sweep() {
	m.mu.Lock()
	if m.closed || len(m.expiry) == 0 {
		m.mu.Unlock()
		return
	}
	now := m.now()
	var es []*Envelope
	for len(m.expiry) > 0 && !m.expiry[0].activeAt(now) {
		ms := heap.Pop(&m.expiry).(*membership)
		h := m.hubs[ms.hub]
		h.dropMembership(ms)
		h.userLeave(ms.user, ms.group)
		m.releaseLocked(ms.hub, h)
		es = append(es, &Envelope{Kind: KindRemoveFromGroup, Hub: ms.hub, Scope: ScopeUser, ID: ms.user, Group: ms.group})
	}
	var d delivery
	if len(es) > 0 {
		d = m.scheduleLocked()
	}
	m.mu.Unlock()
	if len(es) > 0 {
		m.log.Debug("bus: user-group memberships expired", "count", len(es))
	}
	m.deliver(d, es...)
}

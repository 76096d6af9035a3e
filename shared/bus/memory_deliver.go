package bus

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// turns runs hand-offs one at a time in the order their turns were taken.
// Turns are taken under Memory.mu, so hand-offs follow the order in which
// changes were applied, while Memory.mu itself is free during Handler calls.
type turns struct {
	issued uint64 // next turn to hand out; guarded by Memory.mu

	mu      sync.Mutex
	cond    sync.Cond // cond.L is &mu
	serving uint64    // turn allowed to run; guarded by mu
}

// take reserves the next turn. Memory.mu must be held, and the turn must
// be run with wait and done.
func (t *turns) take() uint64 {
	n := t.issued
	t.issued++
	return n
}

// wait blocks until turn n may run and returns holding t.mu.
func (t *turns) wait(n uint64) {
	t.mu.Lock()
	for t.serving != n {
		t.cond.Wait()
	}
}

// done ends the running turn.
func (t *turns) done() {
	t.serving++
	t.cond.Broadcast()
	t.mu.Unlock()
}

// delivery is a reserved hand-off to the subscribers of the moment. The
// zero delivery delivers nothing.
type delivery struct {
	subs []*memorySub
	turn uint64
	ok   bool
}

// scheduleLocked reserves a hand-off when anybody listens. Memory.mu must
// be held; the result must be passed to deliver.
func (m *Memory) scheduleLocked() delivery {
	if len(m.subs) == 0 {
		return delivery{}
	}
	return delivery{subs: m.subs, turn: m.turns.take(), ok: true}
}

// deliver hands es to the subscribers of d in d's turn. Memory.mu must not
// be held.
func (m *Memory) deliver(d delivery, es ...*Envelope) {
	if !d.ok {
		return
	}
	m.turns.wait(d.turn)
	defer m.turns.done()
	for _, e := range es {
		for _, s := range d.subs {
			s.h(e)
		}
	}
}

// Publish hands e to every subscriber, in the calling goroutine, before it
// returns. It returns ErrInvalidArgument unless e is a valid KindSend or
// KindClose envelope. Handlers receive e itself, not a copy.
func (m *Memory) Publish(ctx context.Context, e *Envelope) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if e.Kind != KindSend && e.Kind != KindClose {
		return fmt.Errorf("publish to hub %q: %w: %s envelopes come from membership calls", e.Hub, ErrInvalidArgument, e.Kind)
	}
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("publish to hub %q: %w", e.Hub, err)
	}
	d := m.scheduleLocked()
	m.mu.Unlock()
	m.deliver(d, e)
	return nil
}

// Subscribe makes h receive every envelope published or applied after it
// returns. It returns ErrInvalidArgument for a nil h.
func (m *Memory) Subscribe(ctx context.Context, h Handler) (Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("subscribe: %w: nil handler", ErrInvalidArgument)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	defer m.mu.Unlock()
	s := &memorySub{m: m, h: h}
	m.subs = append(slices.Clip(m.subs), s)
	return s, nil
}

// memorySub is a Subscription to a Memory.
type memorySub struct {
	m    *Memory
	h    Handler
	once sync.Once
}

// Close stops delivery to the handler and waits for an in-flight call to
// return. It is idempotent and always returns nil.
func (s *memorySub) Close() error {
	s.once.Do(func() {
		m := s.m
		m.mu.Lock()
		if i := slices.Index(m.subs, s); i >= 0 {
			m.subs = slices.Delete(slices.Clone(m.subs), i, i+1)
			if len(m.subs) == 0 {
				m.subs = nil
			}
		}
		turn := m.turns.take()
		m.mu.Unlock()
		m.turns.wait(turn)
		m.turns.done()
	})
	return nil
}

package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

var _ Handover = (*Memory)(nil)

// Detach marks connection c.ID, registered with address c.Addr, detached.
// It returns ErrConnectionNotFound unless c.ID is registered with c.Addr.
// Meta longer than MaxMetaBytes is ErrInvalidArgument.
func (m *Memory) Detach(ctx context.Context, c Conn, meta string) error {
	if len(meta) > MaxMetaBytes {
		return fmt.Errorf("detach connection: %w: meta longer than %d bytes", ErrInvalidArgument, MaxMetaBytes)
	}
	return m.markDetached(ctx, c, true, meta, "detach")
}

// Attach clears Detach's mark. It returns ErrConnectionNotFound unless c.ID
// is registered with c.Addr.
func (m *Memory) Attach(ctx context.Context, c Conn) error {
	return m.markDetached(ctx, c, false, "", "attach")
}

func (m *Memory) markDetached(ctx context.Context, c Conn, detached bool, meta, what string) error {
	cs, err := m.owned(ctx, c, what)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	cs.detached, cs.meta = detached, meta
	return nil
}

// owned returns the state of c.ID when it is registered with c.Addr,
// holding m.mu; else an error (ErrConnectionNotFound for another address)
// and m.mu free.
func (m *Memory) owned(ctx context.Context, c Conn, what string) (*connState, error) {
	if err := CheckNames("hub", c.Hub, "connection id", c.ID); err != nil {
		return nil, fmt.Errorf("%s connection: %w", what, err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("%s connection %q in hub %q: %w", what, c.ID, c.Hub, err)
	}
	if h := m.hubs[c.Hub]; h != nil {
		if cs := h.conns[c.ID]; cs != nil && cs.addr == c.Addr {
			return cs, nil
		}
	}
	m.mu.Unlock()
	return nil, fmt.Errorf("%s connection %q in hub %q: %w", what, c.ID, c.Hub, ErrConnectionNotFound)
}

// TakeOver moves a detached connection to address c.Addr and delivers the
// KindHandover envelope (see Handover). A Memory has no node liveness:
// only a detached connection moves.
func (m *Memory) TakeOver(ctx context.Context, c Conn, taker string) (Takeover, error) {
	if err := CheckNames("hub", c.Hub, "connection id", c.ID, "taker", taker); err != nil {
		return Takeover{}, fmt.Errorf("take over connection: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return Takeover{}, fmt.Errorf("take over connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	var cs *connState
	if h := m.hubs[c.Hub]; h != nil {
		cs = h.conns[c.ID]
	}
	var err error
	switch {
	case cs == nil:
		err = ErrConnectionNotFound
	case cs.addr == c.Addr:
		err = ErrConnectionHeld
	case !cs.detached:
		err = ErrConnectionAttached
	}
	if err != nil {
		m.mu.Unlock()
		return Takeover{}, fmt.Errorf("take over connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	t := Takeover{From: cs.addr, User: cs.user, Groups: slices.Sorted(maps.Keys(cs.groups)), Meta: cs.meta}
	cs.addr, cs.detached, cs.meta = c.Addr, false, ""
	d := m.scheduleLocked()
	m.mu.Unlock()
	m.deliver(d, &Envelope{Kind: KindHandover, Hub: c.Hub, Scope: ScopeConnection, ID: c.ID, Taker: taker})
	return t, nil
}

// EndDetached unregisters c.ID when it is registered with c.Addr.
func (m *Memory) EndDetached(ctx context.Context, c Conn) (bool, error) {
	cs, err := m.owned(ctx, c, "end")
	if errors.Is(err, ErrConnectionNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	h := m.hubs[c.Hub]
	h.removeConn(cs)
	m.releaseLocked(c.Hub, h)
	return true, nil
}

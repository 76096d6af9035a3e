package bus

import (
	"context"
	"fmt"
	"slices"
)

// Register records c and adds it to the groups of its user's unexpired
// user-level memberships, returning those groups sorted, and delivers a
// KindAddToGroup envelope (ScopeConnection) for each, in bus order, so a
// gateway applies them in order with later removals. It returns
// ErrConnectionExists when c.ID is registered in c.Hub already and
// ErrInvalidArgument for an empty hub or id; c.User may be empty.
func (m *Memory) Register(ctx context.Context, c Conn) ([]string, error) {
	if err := CheckNames("hub", c.Hub, "connection id", c.ID); err != nil {
		return nil, fmt.Errorf("register connection: %w", err)
	}
	if c.User != "" {
		if err := CheckNames("user", c.User); err != nil {
			return nil, fmt.Errorf("register connection: %w", err)
		}
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("register connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	h := m.hubLocked(c.Hub)
	if _, ok := h.conns[c.ID]; ok {
		m.mu.Unlock()
		return nil, fmt.Errorf("register connection %q in hub %q: %w", c.ID, c.Hub, ErrConnectionExists)
	}
	cs := &connState{id: c.ID, user: c.User, addr: c.Addr}
	h.addConn(cs)
	var groups []string
	now := m.now()
	for g, ms := range h.members[c.User] {
		if c.User != "" && ms.activeAt(now) {
			h.join(cs, g)
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		m.mu.Unlock()
		return nil, nil
	}
	slices.Sort(groups)
	d := m.scheduleLocked()
	m.mu.Unlock()
	es := make([]*Envelope, len(groups))
	for i, g := range groups {
		es[i] = &Envelope{Kind: KindAddToGroup, Hub: c.Hub, Scope: ScopeConnection, ID: c.ID, Group: g}
	}
	m.deliver(d, es...)
	return groups, nil
}

// Unregister forgets the connection and takes it out of every group.
// Nothing is delivered. Unknown connections are not an error.
func (m *Memory) Unregister(ctx context.Context, hub, connID string) error {
	if err := CheckNames("hub", hub, "connection id", connID); err != nil {
		return fmt.Errorf("unregister connection: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("unregister connection %q in hub %q: %w", connID, hub, err)
	}
	defer m.mu.Unlock()
	h := m.hubs[hub]
	if h == nil {
		return nil
	}
	if cs := h.conns[connID]; cs != nil {
		h.removeConn(cs)
		m.releaseLocked(hub, h)
	}
	return nil
}

// Locate returns the Addr of the node holding the connection (the one
// that registered it or took it over last), or ErrConnectionNotFound. One
// Memory serves every node of a process and tells them apart by their
// Addr (see Handover), so the node a connection belongs to is its Addr:
// all connections of a node locate to the same address.
func (m *Memory) Locate(ctx context.Context, hub, connID string) (string, error) {
	if err := CheckNames("hub", hub, "connection id", connID); err != nil {
		return "", fmt.Errorf("locate connection: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return "", fmt.Errorf("locate connection %q in hub %q: %w", connID, hub, err)
	}
	defer m.mu.Unlock()
	if h := m.hubs[hub]; h != nil {
		if cs := h.conns[connID]; cs != nil {
			return cs.addr, nil
		}
	}
	return "", fmt.Errorf("locate connection %q in hub %q: %w", connID, hub, ErrConnectionNotFound)
}

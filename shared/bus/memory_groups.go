package bus

import (
	"context"
	"fmt"
)

// AddToGroup adds the connection to group and delivers a KindAddToGroup
// envelope with ScopeConnection. It returns ErrConnectionNotFound for
// unknown connections, ErrInvalidArgument for empty arguments and
// ErrLimitReached when the connection is in GroupLimits.PerConnection
// groups already.
func (m *Memory) AddToGroup(ctx context.Context, hub, group, connID string) error {
	if err := m.changeConn(ctx, KindAddToGroup, hub, group, connID); err != nil {
		return fmt.Errorf("add connection %q to group %q in hub %q: %w", connID, group, hub, err)
	}
	return nil
}

// RemoveFromGroup takes the connection out of group and delivers a
// KindRemoveFromGroup envelope with ScopeConnection. It returns
// ErrConnectionNotFound for unknown connections and ErrInvalidArgument for
// empty arguments.
func (m *Memory) RemoveFromGroup(ctx context.Context, hub, group, connID string) error {
	if err := m.changeConn(ctx, KindRemoveFromGroup, hub, group, connID); err != nil {
		return fmt.Errorf("remove connection %q from group %q in hub %q: %w", connID, group, hub, err)
	}
	return nil
}

// RemoveFromAllGroups takes the connection out of every group and delivers
// a KindRemoveFromAllGroups envelope with ScopeConnection. It returns
// ErrConnectionNotFound for unknown connections and ErrInvalidArgument for
// empty arguments.
func (m *Memory) RemoveFromAllGroups(ctx context.Context, hub, connID string) error {
	if err := m.changeConn(ctx, KindRemoveFromAllGroups, hub, "", connID); err != nil {
		return fmt.Errorf("remove connection %q from all groups in hub %q: %w", connID, hub, err)
	}
	return nil
}

// changeConn applies a connection-level membership change of kind and
// delivers its envelope; group is ignored for KindRemoveFromAllGroups.
func (m *Memory) changeConn(ctx context.Context, kind Kind, hub, group, connID string) error {
	err := CheckNames("hub", hub, "connection id", connID)
	if err == nil && kind != KindRemoveFromAllGroups {
		err = CheckNames("group", group)
	}
	if err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	h := m.hubs[hub]
	var cs *connState
	if h != nil {
		cs = h.conns[connID]
	}
	if cs == nil {
		m.mu.Unlock()
		return ErrConnectionNotFound
	}
	switch kind {
	case KindAddToGroup:
		if _, in := cs.groups[group]; !in && m.limits.PerConnection > 0 && len(cs.groups) >= m.limits.PerConnection {
			m.mu.Unlock()
			return ConnGroupLimitError(m.limits.PerConnection)
		}
		h.join(cs, group)
	case KindRemoveFromGroup:
		h.leave(cs, group)
	case KindRemoveFromAllGroups:
		h.leaveAll(cs)
	}
	d := m.scheduleLocked()
	m.mu.Unlock()
	m.deliver(d, &Envelope{Kind: kind, Hub: hub, Scope: ScopeConnection, ID: connID, Group: group})
	return nil
}

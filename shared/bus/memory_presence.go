package bus

import (
	"context"
	"fmt"
)

// ConnectionExists reports whether the connection is registered.
func (m *Memory) ConnectionExists(ctx context.Context, hub, connID string) (bool, error) {
	ok, err := m.query(ctx, hub, func(h *hubState) bool { return h.conns[connID] != nil },
		"connection id", connID)
	if err != nil {
		return false, fmt.Errorf("check connection %q in hub %q: %w", connID, hub, err)
	}
	return ok, nil
}

// UserExists reports whether the user has a registered connection.
func (m *Memory) UserExists(ctx context.Context, hub, user string) (bool, error) {
	ok, err := m.query(ctx, hub, func(h *hubState) bool { return len(h.users[user]) > 0 },
		"user", user)
	if err != nil {
		return false, fmt.Errorf("check user %q in hub %q: %w", user, hub, err)
	}
	return ok, nil
}

// GroupExists reports whether a connection is in the group. A group of
// user-level memberships whose users have no connection does not exist.
func (m *Memory) GroupExists(ctx context.Context, hub, group string) (bool, error) {
	ok, err := m.query(ctx, hub, func(h *hubState) bool { return len(h.groups[group]) > 0 },
		"group", group)
	if err != nil {
		return false, fmt.Errorf("check group %q in hub %q: %w", group, hub, err)
	}
	return ok, nil
}

// UserInGroup reports an unexpired user-level membership of the group, or
// a connection of the user in the group.
func (m *Memory) UserInGroup(ctx context.Context, hub, group, user string) (bool, error) {
	ok, err := m.query(ctx, hub, func(h *hubState) bool {
		if ms := h.members[user][group]; ms != nil && ms.activeAt(m.now()) {
			return true
		}
		return h.userInGroup(user, group)
	}, "group", group, "user", user)
	if err != nil {
		return false, fmt.Errorf("check user %q in group %q in hub %q: %w", user, group, hub, err)
	}
	return ok, nil
}

// query validates hub and the name/value pairs in args and runs f on the
// hub's state under the lock; an unknown hub answers false.
func (m *Memory) query(ctx context.Context, hub string, f func(h *hubState) bool, args ...string) (bool, error) {
	err := CheckNames("hub", hub)
	if err == nil {
		err = CheckNames(args...)
	}
	if err != nil {
		return false, err
	}
	if err := m.lock(ctx); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	h := m.hubs[hub]
	if h == nil {
		return false, nil
	}
	return f(h), nil
}

package bus

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// AddUserToGroup adds the user's current connections to group and delivers
// a KindAddToGroup envelope with ScopeUser. With ttl < 0 the membership is
// recorded for UserGroupLifetime, so connections the user opens later join
// too, and only the user's MaxUserGroupsWithoutTTL most recently updated
// such memberships are kept (older ones are removed as expiries, with
// their envelopes, delivered after the add's);
// with ttl > 0 it is recorded until ttl from now (a later call replaces the
// expiry); with ttl == 0 nothing is recorded and an existing membership is
// left as it is. Expired memberships are removed by the sweeper, which
// delivers a KindRemoveFromGroup envelope with ScopeUser for each. A
// recorded membership beyond GroupLimits.PerUser answers ErrLimitReached.
func (m *Memory) AddUserToGroup(ctx context.Context, hub, group, user string, ttl time.Duration) error {
	if err := m.addUser(ctx, hub, group, user, ttl); err != nil {
		return fmt.Errorf("add user %q to group %q in hub %q: %w", user, group, hub, err)
	}
	return nil
}

func (m *Memory) addUser(ctx context.Context, hub, group, user string, ttl time.Duration) error {
	if err := CheckNames("hub", hub, "group", group, "user", user); err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	h := m.hubLocked(hub)
	if lim := m.limits.PerUser; ttl != 0 && lim > 0 && h.members[user][group] == nil && len(h.members[user]) >= lim {
		m.releaseLocked(hub, h)
		m.mu.Unlock()
		return UserGroupLimitError(lim)
	}
	h.userJoin(user, group)
	es := []*Envelope{{Kind: KindAddToGroup, Hub: hub, Scope: ScopeUser, ID: user, Group: group}}
	if ttl != 0 {
		ms := h.members[user][group]
		if ms == nil {
			ms = &membership{hub: hub, group: group, user: user, index: -1}
			h.putMembership(ms)
		}
		now := m.now()
		ms.noTTL, ms.updated = ttl < 0, now
		if ttl < 0 {
			ttl = UserGroupLifetime
		}
		m.setExpiryLocked(ms, now.Add(ttl))
		if ms.noTTL {
			es = append(es, m.keepNewestLocked(h, user)...)
		}
	}
	m.releaseLocked(hub, h)
	d := m.scheduleLocked()
	m.mu.Unlock()
	m.deliver(d, es...)
	return nil
}

// keepNewestLocked removes the user's oldest memberships added without ttl
// beyond MaxUserGroupsWithoutTTL, as expiries, and returns their envelopes.
// It costs time in proportion to the user's memberships (at most
// GroupLimits.PerUser), and only when the user has more than the most.
func (m *Memory) keepNewestLocked(h *hubState, user string) []*Envelope {
	var noTTL []*membership
	for _, ms := range h.members[user] {
		if ms.noTTL {
			noTTL = append(noTTL, ms)
		}
	}
	if len(noTTL) <= MaxUserGroupsWithoutTTL {
		return nil
	}
	slices.SortFunc(noTTL, func(a, b *membership) int { return a.updated.Compare(b.updated) })
	var es []*Envelope
	for _, ms := range noTTL[:len(noTTL)-MaxUserGroupsWithoutTTL] {
		m.dropMembershipLocked(h, ms)
		h.userLeave(user, ms.group)
		es = append(es, &Envelope{Kind: KindRemoveFromGroup, Hub: ms.hub, Scope: ScopeUser, ID: user, Group: ms.group})
	}
	return es
}

// RemoveUserFromGroup removes the user's membership of group, takes the
// user's connections out of it and delivers a KindRemoveFromGroup envelope
// with ScopeUser. Users without membership or connections are not an error.
func (m *Memory) RemoveUserFromGroup(ctx context.Context, hub, group, user string) error {
	if err := m.removeUser(ctx, hub, group, user, false); err != nil {
		return fmt.Errorf("remove user %q from group %q in hub %q: %w", user, group, hub, err)
	}
	return nil
}

// RemoveUserFromAllGroups removes every membership of the user, takes the
// user's connections out of every group and delivers a
// KindRemoveFromAllGroups envelope with ScopeUser.
func (m *Memory) RemoveUserFromAllGroups(ctx context.Context, hub, user string) error {
	if err := m.removeUser(ctx, hub, "", user, true); err != nil {
		return fmt.Errorf("remove user %q from all groups in hub %q: %w", user, hub, err)
	}
	return nil
}

// removeUser removes user from group, or from every group when all is
// set, and delivers the matching envelope.
func (m *Memory) removeUser(ctx context.Context, hub, group, user string, all bool) error {
	err := CheckNames("hub", hub, "user", user)
	if err == nil && !all {
		err = CheckNames("group", group)
	}
	if err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	if h := m.hubs[hub]; h != nil {
		if all {
			for _, ms := range h.members[user] {
				m.dropMembershipLocked(h, ms)
			}
			h.userLeaveAll(user)
		} else {
			if ms := h.members[user][group]; ms != nil {
				m.dropMembershipLocked(h, ms)
			}
			h.userLeave(user, group)
		}
		m.releaseLocked(hub, h)
	}
	d := m.scheduleLocked()
	m.mu.Unlock()
	e := &Envelope{Kind: KindRemoveFromGroup, Hub: hub, Scope: ScopeUser, ID: user, Group: group}
	if all {
		e.Kind = KindRemoveFromAllGroups
	}
	m.deliver(d, e)
	return nil
}

package redisbus

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// AddUserToGroup adds the user's current connections to group and
// publishes a KindAddToGroup envelope (ScopeUser), in one step. With
// ttl < 0 the membership is recorded for bus.UserGroupLifetime, so
// connections the user opens later join too, and only the user's
// bus.MaxUserGroupsWithoutTTL most recently updated such memberships are
// kept (an older one is removed as if it expired, with its envelope); with ttl > 0 it is recorded until ttl from
// now on the Redis server's clock (a later call replaces the expiry);
// with ttl == 0 nothing is recorded and an existing membership is left as
// it is. Gateway nodes remove expired memberships within about
// SweepInterval and publish a KindRemoveFromGroup envelope (ScopeUser) for
// each, exactly once across all nodes; until then the membership no
// longer counts for UserInGroup and Register.
//
// It returns bus.ErrInvalidArgument for empty arguments,
// bus.ErrLimitReached when recording the membership would give the user
// more than Config.GroupLimits.PerUser, and an error
// wrapping bus.ErrUnavailable when Redis cannot be reached; for ttl > 0
// such an error may also mean the membership was applied but not yet
// scheduled for expiry, which a retry or any later expiring membership of
// the hub repairs.
func (b *Bus) AddUserToGroup(ctx context.Context, hub, group, user string, ttl time.Duration) error {
	if err := b.addUser(ctx, hub, group, user, ttl); err != nil {
		return fmt.Errorf("add user %q to group %q in hub %q: %w", user, group, hub, err)
	}
	return nil
}

func (b *Bus) addUser(ctx context.Context, hub, group, user string, ttl time.Duration) error {
	if err := checkName("hub", hub); err != nil {
		return err
	}
	if err := bus.CheckNames("group", group, "user", user); err != nil {
		return err
	}
	if err := b.enter(ctx); err != nil {
		return err
	}
	var ms int64
	switch {
	case ttl < 0:
		ms = -1
	case ttl > 0:
		ms = max(1, (ttl + time.Millisecond - 1).Milliseconds())
	}
	hk := b.keys.hub(hub)
	if err := b.started(ctx); err != nil {
		return err
	}
	expires, err := scriptAddUser.Run(ctx, b.rdb, b.hubScriptKeys(hk), hk.base, hub, group, user, ms,
		b.cfg.GroupLimits.PerUser, bus.UserGroupLifetime.Milliseconds(), bus.MaxUserGroupsWithoutTTL).Int64()
	if err != nil {
		return b.failedScript(err)
	}
	if expires < 0 {
		return bus.UserGroupLimitError(b.cfg.GroupLimits.PerUser)
	}
	if expires > 0 {
		// After the membership is recorded, so that a sweep which read the
		// hub's version before cannot schedule past it (see resched.lua).
		err := scriptBump.Run(ctx, b.rdb, []string{b.keys.expiryDue(), b.keys.expiryVersion()}, hub, expires).Err()
		if err != nil {
			return b.failed(err)
		}
	}
	return nil
}

// RemoveUserFromGroup removes the user's membership of group, takes the
// user's connections out of it and publishes a KindRemoveFromGroup
// envelope (ScopeUser). Users without membership or connections are not an
// error.
func (b *Bus) RemoveUserFromGroup(ctx context.Context, hub, group, user string) error {
	if err := b.removeUser(ctx, hub, group, user, false); err != nil {
		return fmt.Errorf("remove user %q from group %q in hub %q: %w", user, group, hub, err)
	}
	return nil
}

// RemoveUserFromAllGroups removes every membership of the user, takes the
// user's connections out of every group and publishes a
// KindRemoveFromAllGroups envelope (ScopeUser).
func (b *Bus) RemoveUserFromAllGroups(ctx context.Context, hub, user string) error {
	if err := b.removeUser(ctx, hub, "", user, true); err != nil {
		return fmt.Errorf("remove user %q from all groups in hub %q: %w", user, hub, err)
	}
	return nil
}

func (b *Bus) removeUser(ctx context.Context, hub, group, user string, all bool) error {
	err := checkName("hub", hub)
	if err == nil {
		err = bus.CheckNames("user", user)
	}
	if err == nil && !all {
		err = bus.CheckNames("group", group)
	}
	if err != nil {
		return err
	}
	if err := b.enter(ctx); err != nil {
		return err
	}
	hk := b.keys.hub(hub)
	if err := b.started(ctx); err != nil {
		return err
	}
	if err := scriptRemoveUser.Run(ctx, b.rdb, b.hubScriptKeys(hk), hk.base, hub, group, user).Err(); err != nil {
		return b.failedScript(err)
	}
	return nil
}

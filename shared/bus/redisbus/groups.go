package redisbus

import (
	"context"
	"fmt"
	"strconv"

	"github.com/heraldrt/herald/shared/bus"
)

// AddToGroup adds the connection to group and publishes a KindAddToGroup
// envelope (ScopeConnection), in one step. It returns
// bus.ErrConnectionNotFound for unknown connections (on every node),
// bus.ErrInvalidArgument for empty arguments, bus.ErrLimitReached when the
// connection is in Config.GroupLimits.PerConnection groups, and an error wrapping
// bus.ErrUnavailable when Redis cannot be reached.
func (b *Bus) AddToGroup(ctx context.Context, hub, group, connID string) error {
	if err := b.changeConn(ctx, bus.KindAddToGroup, hub, group, connID); err != nil {
		return fmt.Errorf("add connection %q to group %q in hub %q: %w", connID, group, hub, err)
	}
	return nil
}

// RemoveFromGroup takes the connection out of group and publishes a
// KindRemoveFromGroup envelope (ScopeConnection). Errors are those of
// AddToGroup.
func (b *Bus) RemoveFromGroup(ctx context.Context, hub, group, connID string) error {
	if err := b.changeConn(ctx, bus.KindRemoveFromGroup, hub, group, connID); err != nil {
		return fmt.Errorf("remove connection %q from group %q in hub %q: %w", connID, group, hub, err)
	}
	return nil
}

// RemoveFromAllGroups takes the connection out of every group and
// publishes a KindRemoveFromAllGroups envelope (ScopeConnection). Errors
// are those of AddToGroup.
func (b *Bus) RemoveFromAllGroups(ctx context.Context, hub, connID string) error {
	if err := b.changeConn(ctx, bus.KindRemoveFromAllGroups, hub, "", connID); err != nil {
		return fmt.Errorf("remove connection %q from all groups in hub %q: %w", connID, hub, err)
	}
	return nil
}

// changeConn applies a connection-level membership change of kind; group
// is ignored for KindRemoveFromAllGroups.
func (b *Bus) changeConn(ctx context.Context, kind bus.Kind, hub, group, connID string) error {
	err := checkName("hub", hub)
	if err == nil {
		err = bus.CheckNames("connection id", connID)
	}
	if err == nil && kind != bus.KindRemoveFromAllGroups {
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
	n, err := scriptConnGroup.Run(ctx, b.rdb, b.hubScriptKeys(hk),
		hk.base, hub, strconv.Itoa(int(kind)), connID, group, b.cfg.GroupLimits.PerConnection).Int()
	if err != nil {
		return b.failedScript(err)
	}
	switch n {
	case 0:
		return bus.ErrConnectionNotFound
	case -1:
		return bus.ConnGroupLimitError(b.cfg.GroupLimits.PerConnection)
	}
	return nil
}

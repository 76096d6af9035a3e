package redisbus

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// ClaimConnection claims connection id of hub for ttl with SET NX PX on a
// key in the hub's slot (see bus.ConnectionClaims); the key expires on
// its own.
func (b *Bus) ClaimConnection(ctx context.Context, hub, id string, ttl time.Duration) error {
	if err := checkName("hub", hub); err != nil {
		return fmt.Errorf("claim connection: %w", err)
	}
	if err := bus.CheckNames("connection id", id); err != nil {
		return fmt.Errorf("claim connection: %w", err)
	}
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, err)
	}
	ok, err := b.rdb.SetNX(ctx, b.keys.hub(hub).claim(id), 1, max(ttl, time.Millisecond)).Result()
	switch {
	case err != nil:
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, unavailable(err))
	case !ok:
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, bus.ErrAlreadyClaimed)
	}
	return nil
}

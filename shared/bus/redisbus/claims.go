package redisbus

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

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
	key := b.keys.hub(hub).claim(id)
	ms := max(ttl, time.Millisecond).Milliseconds()
	cmd := redis.NewBoolCmd(ctx, "set", key, 1, "px", ms, "nx")
	err := b.pipe.do(ctx, key, cmd)
	switch {
	case err != nil:
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, unavailable(err))
	case !cmd.Val():
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, bus.ErrAlreadyClaimed)
	}
	return nil
}

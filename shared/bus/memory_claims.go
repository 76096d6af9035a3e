package bus

import (
	"context"
	"fmt"
	"time"
)

// memoryClaims holds Memory's connection claims; guarded by Memory.mu.
type memoryClaims struct {
	until map[hubConn]time.Time // claim → when it runs out
	sweep int                   // sweep the expired claims when until reaches this size
}

type hubConn struct{ hub, id string }

// minClaimSweep is the smallest size at which expired claims are swept.
const minClaimSweep = 1024

// ClaimConnection claims connection id of hub for ttl (see
// ConnectionClaims).
func (m *Memory) ClaimConnection(ctx context.Context, hub, id string, ttl time.Duration) error {
	if err := CheckNames("hub", hub, "connection id", id); err != nil {
		return fmt.Errorf("claim connection: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("claim connection: %w", err)
	}
	defer m.mu.Unlock()
	now := time.Now()
	if m.now != nil {
		now = m.now()
	}
	c := &m.claims
	if c.until == nil {
		c.until = map[hubConn]time.Time{}
	}
	k := hubConn{hub, id}
	if until, ok := c.until[k]; ok && now.Before(until) {
		return fmt.Errorf("claim connection %q in hub %q: %w", id, hub, ErrAlreadyClaimed)
	}
	c.until[k] = now.Add(ttl)
	if len(c.until) >= max(c.sweep, minClaimSweep) {
		// Amortized: the next sweep waits until the map has doubled.
		for k, until := range c.until {
			if !now.Before(until) {
				delete(c.until, k)
			}
		}
		c.sweep = 2 * len(c.until)
	}
	return nil
}

package redisbus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/shared/bus"
)

// Publish hands e to the subscribers of e.Hub on every node: one SPUBLISH
// of e's JSON on the hub's channel. It returns once Redis has taken it, in
// order with every other change of the hub. It returns
// bus.ErrInvalidArgument unless e is a valid KindSend or KindClose envelope
// whose Message.Arguments (if any) is valid JSON, and an error wrapping
// bus.ErrUnavailable when Redis cannot be reached. Envelopes published
// while no node holds a connection of the hub reach nobody.
func (b *Bus) Publish(ctx context.Context, e *bus.Envelope) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if e.Kind != bus.KindSend && e.Kind != bus.KindClose {
		return fmt.Errorf("publish to hub %q: %w: %s envelopes come from membership calls", e.Hub, bus.ErrInvalidArgument, e.Kind)
	}
	if err := checkName("hub", e.Hub); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("publish to hub %q: %w", e.Hub, err)
	}
	payload, err := encode(e)
	if err != nil {
		return fmt.Errorf("publish to hub %q: %w: %w", e.Hub, bus.ErrInvalidArgument, err)
	}
	if err := b.rdb.SPublish(ctx, b.keys.hub(e.Hub).channel, payload).Err(); err != nil {
		return fmt.Errorf("publish to hub %q: %w", e.Hub, unavailable(err))
	}
	return nil
}

// encode returns e's JSON. Unlike json.Marshal it leaves <, > and & in
// the arguments alone: clients get the bytes the caller gave, compacted.
func encode(e *bus.Envelope) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

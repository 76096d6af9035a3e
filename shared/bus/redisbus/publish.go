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
// bus.ErrUnavailable when Redis cannot be reached or a gateway node that
// holds connections in the hub is not subscribed (see "Durability" in the
// package documentation): then nothing was published. Envelopes published
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
	if err := b.started(ctx); err != nil {
		return fmt.Errorf("publish to hub %q: %w", e.Hub, err)
	}
	hk := b.keys.hub(e.Hub)
	if err := scriptPublish.Run(ctx, b.rdb, b.hubScriptKeys(hk), hk.base, payload).Err(); err != nil {
		return fmt.Errorf("publish to hub %q: %w", e.Hub, b.failedScript(err))
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

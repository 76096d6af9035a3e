package redisbus

import (
	"context"
	"fmt"

	"github.com/heraldrt/herald/shared/bus"
)

var _ bus.Handover = (*Bus)(nil)

// Detach marks connection c.ID, held by this node, detached (P:{h:H}:det
// holds meta):
// another node's TakeOver may move it. It returns bus.ErrConnectionNotFound
// when this node no longer holds it and an error wrapping
// bus.ErrUnavailable when Redis cannot be reached. c.Addr is not used:
// the node is this Bus's.
func (b *Bus) Detach(ctx context.Context, c bus.Conn, meta string) error {
	if len(meta) > bus.MaxMetaBytes {
		return fmt.Errorf("detach connection: %w: meta longer than %d bytes", bus.ErrInvalidArgument, bus.MaxMetaBytes)
	}
	if err := b.mark(ctx, c, "1", meta); err != nil {
		return fmt.Errorf("detach connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	return nil
}

// Attach clears Detach's mark; errors are Detach's.
func (b *Bus) Attach(ctx context.Context, c bus.Conn) error {
	if err := b.mark(ctx, c, "0", ""); err != nil {
		return fmt.Errorf("attach connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	return nil
}

func (b *Bus) mark(ctx context.Context, c bus.Conn, detached, meta string) error {
	if err := b.checkConn(c); err != nil {
		return err
	}
	if err := b.enter(ctx); err != nil {
		return err
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	hk := b.keys.hub(c.Hub)
	n, err := scriptDetach.Run(ctx, b.rdb, []string{hk.channel}, hk.base, c.ID, b.node, detached, meta).Int()
	switch {
	case err != nil:
		return unavailable(err)
	case n == 0:
		return bus.ErrConnectionNotFound
	}
	return nil
}

// TakeOver moves connection c.ID to this node, whose address c.Addr is
// recorded as Register records it, when its node detached it or no
// longer serves the hub (its entry in P:{h:H}:live ran out), and
// publishes the KindHandover envelope, in one script. Like Register it
// first makes sure this node is subscribed to c.Hub's channel, so the
// handover envelope and everything after it reach this node. Besides the
// errors of bus.Handover it returns one wrapping bus.ErrUnavailable when
// Redis cannot be reached or a node serving the hub is not subscribed
// (nothing was moved then, unless the call broke after the script ran:
// the connection is then removed later, as a failed Register's is).
func (b *Bus) TakeOver(ctx context.Context, c bus.Conn, taker string) (bus.Takeover, error) {
	err := b.checkConn(c)
	if err == nil {
		err = bus.CheckNames("taker", taker)
	}
	if err != nil {
		return bus.Takeover{}, fmt.Errorf("take over connection: %w", err)
	}
	var t bus.Takeover
	_, err = b.recordHeld(ctx, c, func(hk hubKeys) (string, []string, error) {
		res, err := scriptTakeOver.Run(ctx, b.rdb, b.hubScriptKeys(hk), hk.base, c.Hub, c.ID, b.node, c.Addr, taker,
			b.cfg.NodeTTL.Milliseconds(), flag(b.legacyAddrs.Load())).Slice()
		if err != nil {
			return "", nil, scriptFailed(err)
		}
		switch n, _ := res[0].(int64); n {
		case 0:
			return "", nil, bus.ErrConnectionNotFound
		case -1:
			return "", nil, bus.ErrConnectionAttached
		case -2:
			return "", nil, bus.ErrConnectionHeld
		}
		s := replyStrings(res[1:])
		t = bus.Takeover{From: s[0], User: s[1], Meta: s[2], Groups: s[3:]}
		return t.User, t.Groups, nil
	})
	if err != nil {
		return bus.Takeover{}, fmt.Errorf("take over connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	return t, nil
}

// EndDetached unregisters connection c.ID when this node still holds it
// and reports whether it did; this node stops tracking it either way.
func (b *Bus) EndDetached(ctx context.Context, c bus.Conn) (bool, error) {
	if err := b.checkConn(c); err != nil {
		return false, fmt.Errorf("end connection: %w", err)
	}
	ended, err := b.drop(ctx, c.Hub, c.ID, true)
	if err != nil {
		return false, fmt.Errorf("end connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	return ended, nil
}

// checkConn checks the hub and id of c.
func (b *Bus) checkConn(c bus.Conn) error {
	if err := checkName("hub", c.Hub); err != nil {
		return err
	}
	return bus.CheckNames("connection id", c.ID)
}

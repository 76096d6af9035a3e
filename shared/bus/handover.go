package bus

import (
	"context"
	"errors"
)

// ErrConnectionAttached is returned by Handover.TakeOver for a connection
// whose node still has its client transport (it did not Detach it) and is
// alive: a connection never has two live owners.
var ErrConnectionAttached = errors.New("bus: connection still attached to its node")

// ErrConnectionHeld is returned by Handover.TakeOver for a connection the
// calling node holds already: it resumes it locally.
var ErrConnectionHeld = errors.New("bus: connection held by this node")

// Handover is an optional capability of a Bus (callers discover it with a
// type assertion; Memory and the Redis bus implement it): moving a
// registered connection from the gateway node holding it to another one,
// so that a client whose transport dropped may resume its connection
// through whichever node the load balancer picks.
//
// The bus is the arbiter of who owns a connection; it never moves one that
// its node still serves. A node calls Detach when the connection's client
// transport ends but the connection may be resumed, and Attach when the
// client comes back to it. Another node's TakeOver moves a detached
// connection (or one whose node is no longer alive) to the caller, and
// in the same atomic step delivers a KindHandover envelope in the hub's
// ordered stream: every envelope before it was delivered while the old
// node owned the connection, every envelope after it is the new node's to
// deliver. TakeOver, Attach and EndDetached of one connection are applied
// one at a time: exactly one of them wins a race, and the losers fail
// with ErrConnectionNotFound or ErrConnectionAttached.
//
// Nodes are told apart by their Conn.Addr on a Memory (one instance
// serves every node of a process) and by their own identity on the Redis
// bus (one instance per node). See shared/gateway's handover.go for how
// gateways build on it.
type Handover interface {
	// Detach records that connection c.ID of c.Hub, registered by this
	// node (c.Addr), lost its client transport: TakeOver may move it, and
	// reports meta (what the taker needs to know before it has the
	// connection's state, such as its hub protocol; at most MaxMetaBytes)
	// in Takeover.Meta. It returns ErrConnectionNotFound when this node
	// no longer holds it (ended, or taken over already).
	Detach(ctx context.Context, c Conn, meta string) error
	// Attach records that the client of a detached connection came back
	// to this node: TakeOver refuses it again. It returns
	// ErrConnectionNotFound when this node no longer holds it.
	Attach(ctx context.Context, c Conn) error
	// TakeOver moves connection c.ID of c.Hub to this node, whose address
	// is c.Addr (Locate returns it from then on), when its node detached
	// it or is not alive, and delivers a KindHandover envelope
	// (ScopeConnection, Taker = taker) to the hub's subscribers in bus
	// order. The caller must already receive
	// the hub's envelopes (a Memory delivers every hub's; on the Redis
	// bus TakeOver subscribes first, as Register does), so it sees the
	// handover envelope and everything after it. The connection's
	// user and groups do not change: Takeover reports them as they are
	// at the handover. It returns ErrConnectionNotFound for a
	// connection not registered, ErrConnectionAttached for one its live
	// node still serves, ErrConnectionHeld when this node holds it, and
	// ErrInvalidArgument for empty names or taker.
	TakeOver(ctx context.Context, c Conn, taker string) (Takeover, error)
	// EndDetached unregisters connection c.ID (as Unregister does) if
	// this node still holds it, and reports whether it did. A node that
	// lost a race to TakeOver gets false: the connection lives on
	// elsewhere and this node must not report its end. Either way this
	// node stops tracking it.
	EndDetached(ctx context.Context, c Conn) (ended bool, err error)
}

// Takeover is what Handover.TakeOver found at the handover.
type Takeover struct {
	// From is the Addr of the node that held the connection ("" when it
	// has none), as Locate returned it before the handover.
	From string
	// User is the connection's user; empty when anonymous.
	User string
	// Groups are the connection's groups, sorted: the index of the new
	// node starts from them, and membership envelopes after the handover
	// envelope change them.
	Groups []string
	// Meta is what the old node passed to Detach; empty when it did not
	// detach the connection (it is no longer alive).
	Meta string
}

// MaxMetaBytes bounds the meta of Handover.Detach.
const MaxMetaBytes = 256

package bus

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned by every implementation.
var (
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("bus: closed")
	// ErrUnavailable wraps failures to reach the backing store (Redis down):
	// the operation was not applied and may be retried.
	ErrUnavailable = errors.New("bus: unavailable")
	// ErrConnectionNotFound is returned by membership calls naming a
	// connection that is not registered.
	ErrConnectionNotFound = errors.New("bus: connection not found")
	// ErrConnectionExists is returned by Register for an id already registered.
	ErrConnectionExists = errors.New("bus: connection already registered")
	// ErrInvalidArgument is returned for an empty hub, group, connection id
	// or user id, a nil Handler, and envelopes that fail Envelope.Validate
	// or that Publish does not carry (membership kinds). Nothing was applied.
	ErrInvalidArgument = errors.New("bus: invalid argument")
)

// Publisher hands envelopes to every subscriber.
type Publisher interface {
	// Publish returns once the envelope is handed to the bus: every
	// subscriber sees it after everything published or applied before.
	// Only KindSend and KindClose are published directly: membership
	// envelopes come from the Groups and UserGroups methods, and Publish
	// returns ErrInvalidArgument for them.
	Publish(ctx context.Context, e *Envelope) error
}

// Handler receives envelopes in bus order. It must not block: gateways only
// enqueue work for their connections. The envelope must not be retained or
// modified after Handler returns unless copied.
type Handler func(e *Envelope)

// Subscription is a live subscription; Close stops delivery and waits for an
// in-flight Handler call to return.
type Subscription interface {
	Close() error
}

// Subscriber delivers envelopes to handlers. Gateways subscribe once.
//
// A bus instance is one node of a deployment (a gateway process, a function
// instance). Subscribers of an instance receive the envelopes of every hub in
// which that instance holds a registered connection (see Registry), from the
// moment Register returns until the hub's last connection on the instance is
// unregistered: that is all a gateway needs. An implementation may deliver
// envelopes of other hubs too (Memory delivers every hub's; the Redis bus
// only those of hubs the instance holds connections in), so handlers ignore
// hubs and connections they do not hold.
type Subscriber interface {
	// Subscribe returns once the subscription is live: envelopes published
	// after it returns, of the hubs described above, reach h.
	Subscribe(ctx context.Context, h Handler) (Subscription, error)
}

// Conn identifies a client connection as registered by its gateway.
type Conn struct {
	Hub  string // normalized hub name
	ID   string // public connection id
	User string // user id; empty when anonymous
	// Addr is the internal base URL of the gateway node registering (or
	// taking over) the connection (e.g. "http://10.0.3.7:8080"), where
	// other nodes forward the connection's HTTP transport requests; empty
	// when the node takes no forwarded requests. It is a property of the
	// node, not of the connection: a node passes the same Addr with every
	// connection it registers or takes over, and a bus may keep it once
	// per node (the Redis bus does: an empty Addr then leaves the node's
	// address as it is). A node whose address changes (a gateway
	// restarted on another port) is a new node to the bus: on the Redis
	// bus each Bus, and each incarnation of it, has an id of its own.
	Addr string
}

// Registry records which connections exist. Gateways call it when a
// connection completes its handshake and when it ends.
type Registry interface {
	// Register records c and returns the groups c joins right away because
	// its user is a member of them (user-group membership, see UserGroups).
	// For each such group it also delivers a KindAddToGroup envelope with
	// ScopeConnection, in bus order, so gateways apply the joins in order
	// with membership changes that follow. It returns ErrConnectionExists
	// when c.ID is registered already, on this instance or another one.
	// Once Register returns, envelopes of c.Hub reach this instance's
	// subscribers (see Subscriber).
	Register(ctx context.Context, c Conn) (groups []string, err error)
	// Unregister removes the connection from presence and every group.
	// Unknown connections are not an error.
	Unregister(ctx context.Context, hub, connID string) error
}

// Locator finds the node holding a connection, so a gateway node that
// receives an HTTP transport request (Server-Sent Events, Long Polling) for
// a connection it does not hold can forward it: load balancers need no
// sticky sessions.
type Locator interface {
	// Locate returns the Addr of the node holding the connection (the
	// node that registered it, or the last one that took it over; "" when
	// that node has none) and ErrConnectionNotFound when it is not
	// registered. All connections a node holds locate to the same Addr.
	Locate(ctx context.Context, hub, connID string) (addr string, err error)
}

// Groups changes connection-level group membership. Each change is also
// delivered to subscribers as an envelope, in order with messages.
type Groups interface {
	// AddToGroup returns ErrConnectionNotFound for unknown connections.
	AddToGroup(ctx context.Context, hub, group, connID string) error
	// RemoveFromGroup returns ErrConnectionNotFound for unknown connections.
	RemoveFromGroup(ctx context.Context, hub, group, connID string) error
	// RemoveFromAllGroups returns ErrConnectionNotFound for unknown connections.
	RemoveFromAllGroups(ctx context.Context, hub, connID string) error
}

// UserGroups changes user-level group membership: it applies to the user's
// current connections and to connections the user opens later, until the
// membership expires.
type UserGroups interface {
	// AddUserToGroup adds user to group. ttl < 0 means no expiry; ttl == 0
	// adds only the user's current connections and records nothing for later
	// ones; ttl > 0 expires the membership (and removes the user's
	// connections from the group) after ttl.
	AddUserToGroup(ctx context.Context, hub, group, user string, ttl time.Duration) error
	// RemoveUserFromGroup removes the membership and the user's connections
	// from group.
	RemoveUserFromGroup(ctx context.Context, hub, group, user string) error
	// RemoveUserFromAllGroups removes every membership of the user and the
	// user's connections from every group.
	RemoveUserFromAllGroups(ctx context.Context, hub, user string) error
}

// Presence answers existence checks.
type Presence interface {
	ConnectionExists(ctx context.Context, hub, connID string) (bool, error)
	UserExists(ctx context.Context, hub, user string) (bool, error)
	GroupExists(ctx context.Context, hub, group string) (bool, error)
	// UserInGroup reports an unexpired user-level membership, or a
	// connection of the user in the group.
	UserInGroup(ctx context.Context, hub, group, user string) (bool, error)
}

// Bus is everything a deployment needs; implementations satisfy all of it.
type Bus interface {
	Publisher
	Subscriber
	Registry
	Locator
	Groups
	UserGroups
	Presence
	Quotas
	ConnectionClaims
	// Ping reports whether the bus works (health checks).
	Ping(ctx context.Context) error
	// Close releases resources and stops every subscription.
	Close() error
}

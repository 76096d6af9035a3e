package bus

import "context"

// MaxPageSize is the largest page GroupLister.GroupConnections returns;
// larger requests are capped to it.
const MaxPageSize = 1000

// Member is a connection of a group, as listed by GroupLister.
type Member struct {
	// ConnectionID is the public connection id.
	ConnectionID string
	// UserID is the connection's user; empty when anonymous.
	UserID string
}

// GroupLister is an optional capability of a Bus: listing the connections
// of a group. Callers discover it with a type assertion. Memory and the
// Redis bus implement it.
type GroupLister interface {
	// GroupConnections lists the connections of group in hub, a page at a
	// time: it returns at most max members (max ≥ 1, capped at
	// MaxPageSize) and the cursor of the next page, "" once the listing is
	// complete. Pass "" to start. A page may hold fewer than max members
	// while more follow, even none. Connections in the group during the
	// whole listing are listed exactly once; those that join or leave
	// meanwhile may be listed or not. An unknown group or hub lists
	// nothing. Cursors are opaque and specific to the implementation; a
	// malformed one, an empty hub or group, or max < 1 gives
	// ErrInvalidArgument.
	GroupConnections(ctx context.Context, hub, group string, max int, cursor string) ([]Member, string, error)
}

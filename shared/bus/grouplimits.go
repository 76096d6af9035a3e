package bus

import (
	"fmt"
	"time"
)

// Default group limits (GroupLimits zero values). Azure SignalR documents
// no such limit; these bound what one caller can make a connection or a
// user cost: every group of a connection is a set member to remove when it
// disconnects (one connection in 10,000 groups stalled Redis for 28 ms).
// See docs/limits-and-validation.md.
const (
	DefaultMaxConnectionGroups = 1000
	DefaultMaxUserGroups       = 1000
)

// User-level memberships added without a ttl (AddUserToGroup with
// ttl < 0), as the 2024-12-01 REST reference states them: such a membership
// lasts at most UserGroupLifetime, and only the user's
// MaxUserGroupsWithoutTTL most recently updated ones are kept; adding one
// more removes the oldest (a KindRemoveFromGroup envelope with ScopeUser,
// as for an expiry). See docs/compat/rest-api.md#user-groups.
const (
	UserGroupLifetime       = 365 * 24 * time.Hour
	MaxUserGroupsWithoutTTL = 100
)

// GroupLimits bounds group memberships. Zero means the default; a
// negative value means no limit.
type GroupLimits struct {
	// PerConnection is the most groups one connection is in, joined by
	// connection or through its user; AddToGroup of one more answers
	// ErrLimitReached. Default DefaultMaxConnectionGroups.
	PerConnection int
	// PerUser is the most recorded (ttl != 0, unexpired) user-level
	// memberships of one user in one hub; AddUserToGroup of one more
	// answers ErrLimitReached. Default DefaultMaxUserGroups.
	PerUser int
}

// Resolved returns l with defaults applied and "no limit" as 0.
func (l GroupLimits) Resolved() GroupLimits {
	return GroupLimits{PerConnection: limitOr(l.PerConnection, DefaultMaxConnectionGroups),
		PerUser: limitOr(l.PerUser, DefaultMaxUserGroups)}
}

func limitOr(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// ConnGroupLimitError is the error of a join over
// GroupLimits.PerConnection (limit): it wraps ErrLimitReached.
func ConnGroupLimitError(limit int) error {
	return fmt.Errorf("%w: the connection is in %d groups, the most allowed", ErrLimitReached, limit)
}

// UserGroupLimitError is the error of a user-level join over
// GroupLimits.PerUser (limit): it wraps ErrLimitReached.
func UserGroupLimitError(limit int) error {
	return fmt.Errorf("%w: the user is in %d groups, the most allowed", ErrLimitReached, limit)
}

package bus

import (
	"context"
	"errors"
	"time"
)

// ErrLimitReached is returned by the Quotas methods when a quota is full;
// nothing was counted.
var ErrLimitReached = errors.New("bus: limit reached")

// ConnLimits are connection quotas; zero means no limit.
type ConnLimits struct {
	// Max is the most connections of the whole deployment, all hubs and
	// gateway nodes together.
	Max int
	// PerUser is the most connections of one user in one hub. Anonymous
	// connections are not counted against it.
	PerUser int
}

// Quotas counts connections and negotiates across a deployment so that
// gateways can enforce quotas (Azure's "Connection count reaches limit"
// and negotiate throttling). Counts are deployment-wide: the Redis bus
// keeps them in Redis, Memory in the process.
type Quotas interface {
	// AcquireConnection counts one connection of user ("" for anonymous)
	// in hub, unless that would pass lim: then it returns an error
	// wrapping ErrLimitReached and counts nothing. The count stays until
	// ReleaseConnection on the same node, or until the node is gone (a
	// Redis node whose heartbeat ran out no longer counts).
	AcquireConnection(ctx context.Context, hub, user string, lim ConnLimits) error
	// ReleaseConnection undoes one AcquireConnection made on this node.
	ReleaseConnection(ctx context.Context, hub, user string) error
	// CheckConnection returns an error wrapping ErrLimitReached when
	// AcquireConnection would fail now; it counts nothing.
	CheckConnection(ctx context.Context, hub, user string, lim ConnLimits) error
	// TakeNegotiate counts one negotiate against a budget of perSecond
	// negotiates per second of the deployment (per clock second). Once the
	// second's budget is spent it returns an error wrapping ErrLimitReached
	// and how long until the next second starts.
	TakeNegotiate(ctx context.Context, perSecond int) (retryAfter time.Duration, err error)
}

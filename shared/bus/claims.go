package bus

import (
	"context"
	"errors"
	"time"
)

// ErrAlreadyClaimed is returned by ClaimConnection for a connection id
// claimed before.
var ErrAlreadyClaimed = errors.New("bus: connection id already claimed")

// ConnectionClaims makes connection tokens single-use across a
// deployment: the gateway node that opens a connection claims its id, and
// the token cannot open another connection on any node afterwards, also
// once the first has ended (ASP.NET Core treats the token as single-use).
type ConnectionClaims interface {
	// ClaimConnection claims connection id of hub for ttl (at least the
	// rest of the token's connect window). It returns an error wrapping
	// ErrAlreadyClaimed when the id was claimed before, on any node, and
	// that claim's ttl has not run out.
	ClaimConnection(ctx context.Context, hub, id string, ttl time.Duration) error
}

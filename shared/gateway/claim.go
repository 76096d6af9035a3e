package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// TextTokenUsed answers (409) a connect whose connection token already
// opened a connection, on any node: connection tokens are single-use, as
// in ASP.NET Core; the client negotiates again.
const TextTokenUsed = "This connection token was already used to open a connection; negotiate again."

// claimSkew is added to the connect window in a claim's lifetime: nodes'
// clocks, which check the token's expiry, may differ from Redis's.
const claimSkew = time.Minute

// claimOnce claims the connection id of req through the bus, so that its
// connection token opens one connection in the whole deployment. It
// answers the request and reports false when the id was claimed before
// (409) or the bus cannot tell (503). A bus without claims (a test double)
// claims nothing.
func (s *Server) claimOnce(w http.ResponseWriter, r *http.Request, req *connRequest) bool {
	c, ok := s.cfg.Bus.(bus.ConnectionClaims)
	if !ok {
		return true
	}
	ctx, cancel := s.busContext(r.Context())
	defer cancel()
	err := c.ClaimConnection(ctx, req.hub, req.id, s.cfg.ConnectWindow+claimSkew)
	switch {
	case err == nil:
		return true
	case errors.Is(err, bus.ErrAlreadyClaimed):
		s.log.Info("connection token reused", "hubName", req.hub, "connectionId", req.id, "userId", req.user)
		httpError(w, http.StatusConflict, TextTokenUsed)
	default:
		s.log.Warn("claim connection", "hubName", req.hub, "connectionId", req.id, "err", err)
		httpError(w, http.StatusServiceUnavailable, ReasonInternal)
	}
	return false
}

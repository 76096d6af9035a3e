package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// healthTimeout bounds a health check's bus ping.
const healthTimeout = 5 * time.Second

type healthBody struct {
	Status string `json:"status"`
}

// health answers 200 while the bus answers pings and 503 otherwise. It needs
// no token (Azure's needs one; load balancers and probes cannot send one).
func (s *rest) health(c *call) (any, error) {
	ctx, cancel := context.WithTimeout(c.ctx(), healthTimeout)
	defer cancel()
	if err := s.bus.Ping(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", &apiError{status: http.StatusServiceUnavailable,
			code: codeServiceUnavailable, msg: "Unhealthy: the message bus does not answer."}, err)
	}
	return healthBody{Status: "healthy"}, nil
}

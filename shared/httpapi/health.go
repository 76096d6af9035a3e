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
func (s *rest) health(c *call) (any, error) { return checkHealth(c.ctx(), s.bus) }

func checkHealth(ctx context.Context, p Pinger) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := p.Ping(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", &apiError{status: http.StatusServiceUnavailable,
			code: codeServiceUnavailable, msg: "Unhealthy: the message bus does not answer."}, err)
	}
	return healthBody{Status: "healthy"}, nil
}

// Pinger is what health checks ask: the bus.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health serves GET and HEAD on /api/health and /api/v1/health alone, for
// processes that serve no REST API (a gateway node): 200 while p answers
// pings, 503 with a JSON error otherwise. No token is needed.
func Health(p Pinger) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := checkHealth(r.Context(), p)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux := http.NewServeMux()
	for _, path := range []string{"/api/health", "/api/v1/health"} {
		mux.Handle("GET "+path, h)
		mux.Handle("HEAD "+path, h)
	}
	return mux
}

package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// quotasOn reports whether any quota is configured.
func (c Config) quotasOn() bool {
	return c.MaxConnections > 0 || c.MaxUserConnections > 0 || c.NegotiateRate > 0
}

func (c Config) connLimits() bus.ConnLimits {
	return bus.ConnLimits{Max: c.MaxConnections, PerUser: c.MaxUserConnections}
}

func (c Config) connQuotaOn() bool { return c.MaxConnections > 0 || c.MaxUserConnections > 0 }

// admitNegotiate applies the negotiate rate and the connection quota to a
// negotiate; it answers the request and returns false when one refuses it.
func (s *Server) admitNegotiate(w http.ResponseWriter, r *http.Request, hub, user string) bool {
	if s.quotas == nil {
		return true
	}
	ctx, cancel := s.busContext(r.Context())
	defer cancel()
	if s.cfg.NegotiateRate > 0 {
		retry, err := s.quotas.TakeNegotiate(ctx, s.cfg.NegotiateRate)
		if err != nil {
			if !errors.Is(err, bus.ErrLimitReached) {
				return s.quotaUnavailable(w, hub, user, err)
			}
			s.log.Warn(ReasonNegotiateLimit, "hubName", hub, "userId", user, "limit_per_second", s.cfg.NegotiateRate)
			s.limitReached(LimitNegotiateRate)
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(retry)))
			httpError(w, http.StatusTooManyRequests, ReasonNegotiateLimit)
			return false
		}
	}
	if s.cfg.connQuotaOn() {
		if err := s.quotas.CheckConnection(ctx, hub, user, s.cfg.connLimits()); err != nil {
			return s.connectionRefused(w, "negotiate", hub, user, err)
		}
	}
	return true
}

// acquireConnection counts a connection against the quota; it answers the
// request and returns false when the quota refuses it. A true result must
// be followed by releaseConnection when the connection ends.
func (s *Server) acquireConnection(w http.ResponseWriter, r *http.Request, hub, user string) bool {
	if s.quotas == nil || !s.cfg.connQuotaOn() {
		return true
	}
	ctx, cancel := s.busContext(r.Context())
	defer cancel()
	if err := s.quotas.AcquireConnection(ctx, hub, user, s.cfg.connLimits()); err != nil {
		return s.connectionRefused(w, "connect", hub, user, err)
	}
	return true
}

// releaseConnection undoes acquireConnection.
func (s *Server) releaseConnection(hub, user string) {
	if s.quotas == nil || !s.cfg.connQuotaOn() {
		return
	}
	ctx, cancel := s.busContext(context.Background())
	defer cancel()
	if err := s.quotas.ReleaseConnection(ctx, hub, user); err != nil {
		s.log.Warn("release connection quota", "hubName", hub, "userId", user, "err", err)
	}
}

func (s *Server) connectionRefused(w http.ResponseWriter, step, hub, user string, err error) bool {
	if !errors.Is(err, bus.ErrLimitReached) {
		return s.quotaUnavailable(w, hub, user, err)
	}
	s.log.Warn(ReasonConnectionLimit, "step", step, "hubName", hub, "userId", user,
		"max_connections", s.cfg.MaxConnections, "max_user_connections", s.cfg.MaxUserConnections, "err", err)
	s.limitReached(LimitConnections)
	httpError(w, http.StatusTooManyRequests, ReasonConnectionLimit)
	return false
}

func (s *Server) quotaUnavailable(w http.ResponseWriter, hub, user string, err error) bool {
	s.log.Warn("quota check failed", "hubName", hub, "userId", user, "err", err)
	httpError(w, http.StatusServiceUnavailable, ReasonInternal)
	return false
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

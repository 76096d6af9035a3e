package gateway

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/token"
)

// LogClientTokenRefused is the message of the Warn record a refused client
// access token leaves (negotiate and connect): one per refused request,
// with the resource logs' field names (docs/diagnostics.md): hubName,
// route, path, callerIpAddress (the client's IP, see forwarded.ClientIP),
// reasonLabel (a token.Reason* label) and message (the text after
// "Unauthorized: " in the answer).
const LogClientTokenRefused = "client token refused"

// EndpointClient is the endpoint label of client token refusals counted
// through AuthMetrics.
const EndpointClient = "client"

// AuthMetrics is implemented by a Metrics that counts refused tokens
// (shared/metrics does); the Server checks for it once per refusal.
type AuthMetrics interface {
	// AuthRefused counts one request refused for its token.
	AuthRefused(endpoint, reason string)
}

// authRefused logs and counts a refused client token. The verifier's
// errors never hold a key or the token; the token is removed all the same
// should a message ever quote it.
func (s *Server) authRefused(r *http.Request, hub, raw string, err error) {
	label := token.Reason(err)
	if errors.Is(err, errUserTooLong) {
		label = token.ReasonUserTooLong
	}
	if am, ok := s.cfg.Metrics.(AuthMetrics); ok {
		am.AuthRefused(EndpointClient, label)
	}
	reason := token.Scrub(err.Error(), raw)
	route := "connect"
	if strings.HasSuffix(r.URL.Path, "/negotiate") {
		route = "negotiate"
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, LogClientTokenRefused,
		slog.String("hubName", hub),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.String("callerIpAddress", forwarded.ClientIP(r, s.cfg.ForwardedHops)),
		slog.String("reasonLabel", label),
		slog.String("message", reason))
}

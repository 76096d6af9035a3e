package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/token"
)

// AuthMetrics is implemented by metrics that count refused tokens
// (shared/metrics does). A RESTConfig.Metrics implementing it is used.
type AuthMetrics interface {
	// AuthRefused counts one request refused for its token: endpoint is
	// "rest", "negotiate" or "client", reason a token.Reason* label.
	AuthRefused(endpoint, reason string)
}

// Messages of the refusal records.
const (
	// LogAuthenticationFailed is the Warn record of a request refused for
	// a missing or invalid token (401), with route, hubName, path,
	// callerIpAddress, status, code, reasonLabel and message.
	LogAuthenticationFailed = "authentication failed"
	// LogAuthorizationFailed is the Warn record of a request whose valid
	// token does not allow it (403).
	LogAuthorizationFailed = "authorization failed"
)

// logAuthRefusal writes the one record of a request refused for its token
// and counts it. Its fields carry the resource logs' names
// (docs/diagnostics.md): hubName, callerIpAddress (the client's IP, read
// through hops trusted proxies, see forwarded.ClientIP), reasonLabel, and message,
// the text the caller saw without the token should it ever appear in it.
func logAuthRefusal(log *slog.Logger, m AuthMetrics, r *http.Request, hops int, endpoint, route, hub string, ae *apiError, extra ...slog.Attr) {
	if m != nil {
		m.AuthRefused(endpoint, ae.auth)
	}
	msg := LogAuthenticationFailed
	if ae.status == http.StatusForbidden {
		msg = LogAuthorizationFailed
	}
	attrs := append([]slog.Attr{
		slog.String("route", route),
		slog.String("hubName", hub),
		slog.String("path", r.URL.Path),
		slog.String("callerIpAddress", forwarded.ClientIP(r, hops)),
		slog.Int("status", ae.status),
		slog.String("code", ae.code),
		slog.String("reasonLabel", ae.auth),
		slog.String("message", withoutToken(ae.msg, r)),
	}, extra...)
	log.LogAttrs(r.Context(), slog.LevelWarn, msg, attrs...)
}

// withoutToken removes the request's tokens from s.
func withoutToken(s string, r *http.Request) string {
	return token.Scrub(s, token.FromRequest(r), appBearer(r))
}

func appBearer(r *http.Request) string {
	t, _ := bearerToken(r)
	return t
}

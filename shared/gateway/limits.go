package gateway

import (
	"net"
	"net/http"
	"strings"
)

// Limit labels: the per-caller limits whose refusals are counted through
// LimitMetrics (a bounded label set).
const (
	// LimitHubs is Config.MaxHubs.
	LimitHubs = "hubs_per_node"
	// LimitAddressConnections is Config.MaxAddressConnections.
	LimitAddressConnections = "connections_per_address"
)

// LimitMetrics is implemented by a Metrics that counts refusals by limit
// (shared/metrics does); the Server checks for it once per refusal.
type LimitMetrics interface {
	// LimitReached counts one request refused by limit (a Limit* label).
	LimitReached(limit string)
}

// limitReached counts a refusal when the metrics can.
func (s *Server) limitReached(limit string) {
	if lm, ok := s.cfg.Metrics.(LimitMetrics); ok {
		lm.LimitReached(limit)
	}
}

// clientAddress returns the IP of the client of r: the hops-th entry from
// the right of X-Forwarded-For (each trusted proxy appends the address it
// saw; docs/limits-and-validation.md), or the remote IP when hops is 0 or
// the header has fewer entries.
func clientAddress(r *http.Request, hops int) string {
	if hops > 0 {
		var entries []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for _, e := range strings.Split(v, ",") {
				entries = append(entries, strings.TrimSpace(e))
			}
		}
		if n := len(entries); n >= hops && entries[n-hops] != "" {
			return entries[n-hops]
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

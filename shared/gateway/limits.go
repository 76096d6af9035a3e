package gateway

// Limit labels: the per-caller limits whose refusals are counted through
// LimitMetrics (a bounded label set).
const (
	// LimitHubs is Config.MaxHubs.
	LimitHubs = "hubs_per_node"
	// LimitAddressConnections is Config.MaxAddressConnections.
	LimitAddressConnections = "connections_per_address"
	// LimitConnections is the connection quota: Config.MaxConnections
	// across the deployment or Config.MaxUserConnections per user and hub.
	LimitConnections = "connections"
	// LimitNegotiateRate is Config.NegotiateRate.
	LimitNegotiateRate = "negotiate_rate"
	// LimitHandovers is how many stateful connections a node takes over
	// at once (maxHandovers; handover.go).
	LimitHandovers = "takeovers_per_node"
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

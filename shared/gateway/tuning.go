package gateway

import "github.com/heraldrt/herald/shared/config"

// Tuning returns the limits, timeouts and quotas the server runs with:
// Config.GatewayTuning with its defaults applied.
func (s *Server) Tuning() config.GatewayTuning { return s.cfg.GatewayTuning }

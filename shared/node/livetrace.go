package node

import (
	"fmt"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/livetrace"
)

// LimitLiveTraceWatchers labels live trace streams refused by
// Config.MaxLiveTraceWatchers in herald_limit_refusals_total.
const LimitLiveTraceWatchers = "live_trace_watchers"

// wireLiveTrace serves the live trace page and stream on mux; with a Redis
// bus the events of every node are relayed.
func (s *Server) wireLiveTrace(mux *http.ServeMux) error {
	cfg := livetrace.Config{Tracer: s.cfg.Tracer, Keys: s.cfg.AccessKeys, Logger: s.log,
		MaxWatchers: s.cfg.MaxLiveTraceWatchers,
		OnLimit:     func() { s.metrics.LimitReached(LimitLiveTraceWatchers) }}
	if r, ok := s.bus.(livetrace.Relay); ok {
		cfg.Relay = r
	}
	lt, err := livetrace.New(cfg)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	s.live = lt
	mux.Handle("/livetrace/", lt)
	mux.Handle("/livetrace", lt)
	return nil
}

// LiveTraceURL is the live trace page's URL with a token valid for
// lifetime in its fragment (the page reads it and forgets it).
func (s *Server) LiveTraceURL(lifetime time.Duration) (string, error) {
	tok, err := livetrace.Token(s.cfg.AccessKeys[0], lifetime, time.Now())
	if err != nil {
		return "", err
	}
	return s.URL() + "/livetrace/#token=" + tok, nil
}

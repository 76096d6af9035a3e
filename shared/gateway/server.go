package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/query"
	"github.com/heraldrt/herald/shared/token"
)

// ErrNotStarted is returned by Shutdown on a Server that was never started.
var ErrNotStarted = errors.New("gateway: not started")

// Server is a gateway node: an http.Handler for /client/negotiate and the
// /client/ transports, fed by a bus subscription.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verifier *token.Verifier
	tokens   *connTokens
	idx      *index
	quotas   bus.Quotas // nil without quotas configured

	keeper *keeper
	flush  *flusher // writes to WebSocket connections; runs from Start

	forwarder *httputil.ReverseProxy // to the nodes holding other connections
	owners    owners                 // who held the connections forwarded before

	mu       sync.Mutex
	sub      bus.Subscription
	stop     chan struct{} // closed by Shutdown: stops the keeper
	stopOnce sync.Once
	bg       sync.WaitGroup // the keeper and the flush workers
	draining atomic.Bool
	// drainHandOver: the drain leaves stateful connections to other
	// nodes (drain.go); set by Drain before it closes anything.
	drainHandOver atomic.Bool
	conns         sync.WaitGroup // one per upgraded connection
	// cutCtx is cancelled at the shutdown deadline: every WebSocket's
	// socket is closed then, also one in its handshake or ending (not in
	// the index).
	cutCtx context.Context
	cutAll context.CancelFunc

	diagConns atomic.Int64 // diagnostic connections being set up or open
	srBytes   atomic.Int64 // bytes kept unacknowledged by stateful connections

	handovers      handovers     // stateful connections moving between nodes (handover.go)
	issuer         *token.Issuer // signs this node's calls to other nodes' internal endpoint
	internalClient *http.Client  // makes them

	invokes invokes // client results waited for (completions.go)
	streams streams // server-to-client streams open (streams.go)
}

// New returns a Server for cfg. Call Start before serving.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v, err := token.NewVerifier(token.VerifierConfig{Keys: cfg.Keys, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	var quotas bus.Quotas
	if cfg.quotasOn() {
		quotas = cfg.Bus.(bus.Quotas) // checked by withDefaults
	}
	s := &Server{
		quotas:   quotas,
		cfg:      cfg,
		log:      cfg.Logger,
		verifier: v,
		tokens:   newConnTokens(cfg.Keys),
		idx:      newIndex(cfg.MaxHubs, cfg.MaxAddressConnections),
		keeper:   newKeeper(cfg.KeepAliveInterval),
		flush:    newFlusher(),

		handovers: newHandovers(),
	}
	s.keeper.ackRound = s.statefulTick
	s.forwarder = newForwarder(cfg.InternalURL)
	s.internalClient = &http.Client{Transport: s.forwarder.Transport}
	if s.issuer, err = token.NewIssuer(token.IssuerConfig{Key: cfg.Keys[0]}); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.cutCtx, s.cutAll = context.WithCancel(context.Background())
	return s, nil
}

// Start subscribes to the bus; it returns once envelopes reach the Server.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sub != nil {
		return errors.New("gateway: already started")
	}
	sub, err := s.cfg.Bus.Subscribe(ctx, s.handle)
	if err != nil {
		return fmt.Errorf("gateway: subscribe: %w", err)
	}
	s.sub = sub
	s.stop = make(chan struct{})
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.keeper.run(s.stop)
	}()
	s.flush.start(s.stop, &s.bg)
	return nil
}

// Connections reports the number of live connections on this node.
func (s *Server) Connections() int { return s.idx.len() }

// Drain starts the graceful end of the node without waiting: from now on
// the node takes no new connection (negotiate and connect get the
// draining answer, readiness fails) and every client is closed with
// "Service reloading, try reconnecting" and allowReconnect, so it
// reconnects through the load balancer to another node; a stateful
// client, when another node can take it over, has its socket ended
// instead, and resumes there with nothing lost (drain.go). Drain may be
// called more than once and before Shutdown, e.g. when the orchestrator
// announces the node's stop before it signals the process; Shutdown then
// waits for what Drain started.
func (s *Server) Drain() error {
	s.mu.Lock()
	started := s.sub != nil
	if started {
		s.draining.Store(true) // under mu: no connection is counted after this
	}
	s.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	handOver := s.drainHandsOver()
	s.drainHandOver.Store(handOver)
	frames := perProto{build: func(p proto) []byte { return closeMessageFrame(p, ReasonServiceReloading, true) }}
	for _, c := range s.idx.all() {
		s.idx.mu.RLock() // an HTTP transport's handshake sets proto under it
		p := c.proto
		s.idx.mu.RUnlock()
		s.drainConn(c, frames.get(p), handOver)
		if c.hs != nil {
			c.hs.endIfNotPolling()
		}
	}
	return nil
}

// Draining reports whether Drain (or Shutdown) has begun.
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown stops accepting connections, closes every client with
// "Service reloading, try reconnecting" and allowReconnect (Drain), waits
// for the connections to end (or ctx), then ends the bus subscription.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	sub := s.sub
	s.mu.Unlock()
	if err := s.Drain(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		// Deadline: cut the sockets; the connection goroutines then end at once.
		s.cutAll()
		s.endDetachedAll()
		for _, c := range s.idx.all() {
			c.cut()
		}
		<-done
		err = fmt.Errorf("gateway: shutdown: %w", ctx.Err())
	}
	s.forwarder.Transport.(*http.Transport).CloseIdleConnections()
	s.flush.running.Store(false)
	s.stopOnce.Do(func() { close(s.stop) })
	s.bg.Wait()
	if cerr := sub.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("gateway: close subscription: %w", cerr)
	}
	return err
}

// ServeHTTP serves POST /client/negotiate and the /client/ transports.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Before anything reads the query: url.URL.Query drops malformed
	// pairs without a word.
	var qe *query.Error
	if err := query.Check(r.URL.RawQuery); errors.As(err, &qe) {
		httpError(w, http.StatusBadRequest, qe.Message())
		return
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case strings.HasSuffix(p, "/client/negotiate"):
		s.negotiate(w, r)
	case strings.HasSuffix(p, internalPath):
		s.serveInternal(w, r)
	case strings.HasSuffix(p, "/client"):
		s.connect(w, r)
	default:
		httpError(w, http.StatusNotFound, "Not found.")
	}
}

// httpError writes a plain-text error, as ASP.NET Core's connection
// dispatcher does for transport errors.
func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

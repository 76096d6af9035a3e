package livetrace

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/query"
	"github.com/heraldrt/herald/shared/token"
)

//go:embed page.html
var page []byte

// Config configures a Server. Tracer and Keys are required.
type Config struct {
	// Tracer is the node's diagnostics tracer.
	Tracer *diag.Tracer
	// Keys are the AccessKeys tokens are verified against.
	Keys []string
	// Relay carries events between nodes. Default nil: this node only.
	Relay Relay
	// RelayPoll is how often the relay state is refreshed. Default 2s.
	RelayPoll time.Duration
	// Buffer is the most events waiting for one watcher; more are dropped
	// and counted. Default 4096.
	Buffer int
	// Heartbeat is the idle time after which a stream gets a comment line
	// (keeps proxies from closing it). Default 15s.
	Heartbeat time.Duration
	// Logger receives relay failures at Debug. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// MaxWatchers is the most live trace streams this node serves at
	// once; the next gets 429 TextTooManyWatchers. Each costs a goroutine
	// and a Buffer of events. Default DefaultMaxWatchers; negative: no
	// limit.
	MaxWatchers int
	// OnLimit is called once per stream refused by MaxWatchers (for a
	// metric). Default nil.
	OnLimit func()
}

// DefaultMaxWatchers is Config.MaxWatchers when not set.
const DefaultMaxWatchers = 16

// TextTooManyWatchers answers (429) a stream over Config.MaxWatchers.
const TextTooManyWatchers = "Live trace watcher count reaches limit"

// Server serves the live trace page and stream, and runs the relay.
type Server struct {
	cfg      Config
	verifier *token.Verifier
	tracer   *diag.Tracer
	log      *slog.Logger
	instance string

	done    chan struct{}
	kick    chan struct{}
	mu      sync.Mutex // orders stream starts with Close
	closed  bool
	streams int // guarded by mu
	started atomic.Bool
	wg      sync.WaitGroup // the relay loop and every stream
}

// New returns a Server; call Start to run the relay and Close to end.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Tracer == nil:
		return nil, errors.New("livetrace: Config.Tracer is required")
	case len(cfg.Keys) == 0:
		return nil, errors.New("livetrace: Config.Keys is required")
	}
	if cfg.RelayPoll <= 0 {
		cfg.RelayPoll = 2 * time.Second
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 4096
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxWatchers == 0:
		cfg.MaxWatchers = DefaultMaxWatchers
	case cfg.MaxWatchers < 0:
		cfg.MaxWatchers = 0
	}
	v, err := newVerifier(cfg.Keys, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, verifier: v, tracer: cfg.Tracer, log: cfg.Logger, instance: randomID(),
		done: make(chan struct{}), kick: make(chan struct{}, 1)}, nil
}

// Start runs the relay loop, when there is a Relay.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Relay == nil || s.closed || !s.started.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go s.runRelay()
}

// Close ends every stream and the relay loop and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ServeHTTP serves GET /livetrace/ (the page) and GET /livetrace/events
// (the stream).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/livetrace/events"):
		s.stream(w, r)
	case strings.HasSuffix(r.URL.Path, "/livetrace/"):
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(page)
	case strings.HasSuffix(r.URL.Path, "/livetrace"):
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
	default:
		http.NotFound(w, r)
	}
}

// stream sends events as Server-Sent Events until the client leaves or
// the Server closes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	var qe *query.Error
	if err := query.Check(r.URL.RawQuery); errors.As(err, &qe) {
		http.Error(w, qe.Message(), http.StatusBadRequest)
		return
	}
	if err := verify(s.verifier, r.URL.Query().Get("access_token"), s.cfg.Now()); err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, "Unauthorized: "+err.Error(), http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "The node is stopping.", http.StatusServiceUnavailable)
		return
	}
	if s.cfg.MaxWatchers > 0 && s.streams >= s.cfg.MaxWatchers {
		s.mu.Unlock()
		s.log.Warn(TextTooManyWatchers, "max_watchers", s.cfg.MaxWatchers)
		if s.cfg.OnLimit != nil {
			s.cfg.OnLimit()
		}
		http.Error(w, TextTooManyWatchers, http.StatusTooManyRequests)
		return
	}
	s.streams++
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.streams--
		s.mu.Unlock()
		s.wg.Done()
	}()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	events := make(chan diag.Event, s.cfg.Buffer)
	var dropped atomic.Int64
	cancel := s.tracer.Watch(func(e *diag.Event) {
		select {
		case events <- *e:
		default:
			dropped.Add(1)
		}
	})
	defer cancel()
	select { // switch the relay on now rather than at the next poll
	case s.kick <- struct{}{}:
	default:
	}
	if _, err := fmt.Fprint(w, ": connected\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	var reported int64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-beat.C:
			msg := ": ping\n\n"
			if d := dropped.Load(); d != reported {
				msg = fmt.Sprintf("event: dropped\ndata: %d\n\n", d)
				reported = d
			}
			if _, err := fmt.Fprint(w, msg); err != nil || rc.Flush() != nil {
				return
			}
		case e := <-events:
			if writeEvent(w, &e) != nil {
				return
			}
			for n := len(events); n > 0; n-- { // write what is queued, then flush once
				e = <-events
				if writeEvent(w, &e) != nil {
					return
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

func writeEvent(w http.ResponseWriter, e *diag.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return nil // nothing in an Event fails to encode; skip it if it does
	}
	_, err = fmt.Fprintf(w, "data: %s\n\n", b)
	return err
}

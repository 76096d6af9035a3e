package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/token"
)

// TraceHeader is the response header carrying the trace id Herald assigns
// to each REST request (Herald's counterpart of Azure's x-ms-request-id).
// The same id is put in the bus envelope, so gateway logs can be matched
// with the request.
const TraceHeader = "X-Herald-Trace-Id"

// Bus is the part of the bus the REST API uses. Every bus implementation
// (bus.Memory, the Redis bus) satisfies it. The group listing route also
// needs the optional bus.GroupLister (both implement it); without it that
// route answers 501.
type Bus interface {
	bus.Publisher
	bus.Groups
	bus.UserGroups
	bus.Presence
	// Ping reports whether the bus works; the health routes call it.
	Ping(ctx context.Context) error
}

// RESTConfig configures [NewREST]. Bus, Verifier and Issuer are required.
type RESTConfig struct {
	// Bus receives messages, membership changes and existence checks.
	Bus Bus
	// Verifier checks the bearer token of every route except health.
	Verifier *token.Verifier
	// Issuer signs the client tokens returned by :generateToken.
	Issuer *token.Issuer
	// ClientAudienceBase is the audience base of tokens made by
	// :generateToken, e.g. "http://localhost/"; the audience is this base
	// followed by "client/?hub=<hub>". Empty means scheme and host of the
	// request, without the port (as the Azure SDKs build audiences).
	ClientAudienceBase string
	// Hosts lists the host names accepted in token audiences. Empty accepts
	// any host.
	Hosts []string
	// MaxBodyBytes limits message bodies; larger ones get 413. Zero means
	// DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Logger receives a record per failed request (server errors at Error
	// level, refused tokens at Warn, other client errors at Debug). Nil
	// discards.
	Logger *slog.Logger
	// Now is the clock used to time requests for the logs. Nil means
	// time.Now.
	Now func() time.Time
	// HealthChecks are checked by the health routes besides the bus ping
	// (e.g. "gateway" in a process that also holds connections). Default
	// none.
	HealthChecks []HealthCheck
	// Metrics receives request and bus publish counts, and refused tokens
	// when it implements [AuthMetrics]. Default: none.
	Metrics RESTMetrics
	// Tracer receives a MessageReceived event per message handed to the
	// bus, with its tracing id, for the messaging logs and the live trace.
	// Default nil: none.
	Tracer *diag.Tracer
	// ForwardedHops is the number of trusted proxies in front that append
	// to X-Forwarded-For: the refusal records' callerIpAddress is the
	// entry this many from its right. 0 (default): the TCP peer's IP.
	ForwardedHops int
}

// rest serves the data-plane REST API.
type rest struct {
	bus      Bus
	verifier *token.Verifier
	issuer   *token.Issuer
	audBase  string
	hosts    []string
	maxBody  int64
	log      *slog.Logger
	now      func() time.Time
	checks   []HealthCheck
	metrics  RESTMetrics
	tracer   *diag.Tracer
	hops     int
}

// NewREST returns the handler of the data-plane REST API: every route of
// [Routes], answering JSON errors for unknown paths (404) and methods (405).
func NewREST(cfg RESTConfig) (http.Handler, error) {
	switch {
	case cfg.Bus == nil:
		return nil, errors.New("httpapi: RESTConfig.Bus is required")
	case cfg.Verifier == nil:
		return nil, errors.New("httpapi: RESTConfig.Verifier is required")
	case cfg.Issuer == nil:
		return nil, errors.New("httpapi: RESTConfig.Issuer is required")
	case cfg.MaxBodyBytes < 0:
		return nil, errors.New("httpapi: RESTConfig.MaxBodyBytes must not be negative")
	case cfg.ForwardedHops < 0:
		return nil, errors.New("httpapi: RESTConfig.ForwardedHops must not be negative")
	}
	base := cfg.ClientAudienceBase
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	s := &rest{
		bus:      cfg.Bus,
		verifier: cfg.Verifier,
		issuer:   cfg.Issuer,
		audBase:  base,
		hosts:    cfg.Hosts,
		maxBody:  cfg.MaxBodyBytes,
		log:      cfg.Logger,
		now:      cfg.Now,
		checks:   cfg.HealthChecks,
		metrics:  cfg.Metrics,
		tracer:   cfg.Tracer,
		hops:     cfg.ForwardedHops,
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	for _, rt := range expand() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.endpoint(rt))
	}
	mux.Handle("GET "+OpenAPIPath, openAPIHandler())
	return &jsonMux{mux: mux}, nil
}

// call is one REST request on its way through a handler.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	hub    string // normalized hub key; empty for routes without {hub}
	trace  string
	status int // success status for the request's api-version
}

func (c *call) ctx() context.Context { return c.r.Context() }

// endpoint wraps a route's handler with tracing, authentication,
// parameter validation and response writing.
func (s *rest) endpoint(rt boundRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		c := &call{w: w, r: r, trace: uuid.NewString()}
		w.Header().Set(TraceHeader, c.trace)
		body, err := s.serve(rt, c)
		if err == nil {
			s.traceMembership(rt, c)
		}
		status := c.status
		switch {
		case err != nil:
			ae := writeError(w, err)
			if ae.auth != "" {
				am, _ := s.metrics.(AuthMetrics)
				logAuthRefusal(s.log, am, r, s.hops, "rest", rt.Name, r.PathValue("hub"), ae,
					slog.String("method", r.Method), slog.String("trace", c.trace))
			} else {
				s.logFailure(rt, c, ae, err, start)
			}
			s.metrics.Request(rt.Name, r.Method, ae.status, s.now().Sub(start))
			return
		case body != nil:
			writeJSON(w, status, body)
		default:
			w.WriteHeader(status)
		}
		s.metrics.Request(rt.Name, r.Method, status, s.now().Sub(start))
	})
}

func (s *rest) serve(rt boundRoute, c *call) (any, error) {
	// Before anything reads the query: url.URL.Query drops malformed
	// pairs without a word.
	if err := checkQuery(c.r); err != nil {
		return nil, err
	}
	status, err := checkAPIVersion(rt, c.r)
	if err != nil {
		return nil, err
	}
	c.status = status
	if rt.Auth {
		if err := s.authorize(c.r); err != nil {
			return nil, err
		}
	}
	if rt.hasHub {
		hub, err := hubKey(c.r)
		if err != nil {
			return nil, err
		}
		c.hub = hub
	}
	if err := checkParams(c.r, rt.params); err != nil {
		return nil, err
	}
	return rt.handle(s, c)
}

// publish hands an envelope to the bus, stamped with the call's hub and
// trace id.
func (s *rest) publish(c *call, e *bus.Envelope) error {
	e.Hub = c.hub
	e.TraceID = c.trace
	// Received before published: a local delivery can happen before
	// Publish returns, and the trace must read in order.
	if e.Kind == bus.KindSend && s.tracer.Messaging(false) {
		ev := diag.Event{Category: diag.Messaging, Name: diag.MessageReceived,
			Hub: e.Hub, TraceID: e.TraceID, Scope: e.Scope.String(), Target: e.ID, Method: e.Message.Target,
			RemoteAddr: forwarded.ClientIP(c.r, s.hops)}
		if e.Scope == bus.ScopeGroup {
			ev.Group = e.ID
		}
		s.tracer.Emit(ev)
	}
	start := s.now()
	err := s.bus.Publish(c.ctx(), e)
	s.metrics.Published(e, s.now().Sub(start), err)
	return err
}

func (s *rest) logFailure(rt boundRoute, c *call, ae *apiError, err error, start time.Time) {
	level := slog.LevelDebug
	if ae.status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.ctx(), level, "rest request failed",
		slog.String("route", rt.Name),
		slog.String("method", c.r.Method),
		slog.String("hub", c.hub),
		slog.String("trace", c.trace),
		slog.Int("status", ae.status),
		slog.String("code", ae.code),
		slog.Duration("elapsed", s.now().Sub(start)),
		slog.Any("err", err),
	)
}

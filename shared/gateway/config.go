package gateway

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/upstream"
)

// Bus is what the gateway needs from the bus: a subscription to envelopes
// and the connection registry.
type Bus interface {
	bus.Subscriber
	bus.Registry
	bus.Locator
}

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Keys are the AccessKeys client tokens are verified against; the first
	// also signs connection tokens. Required.
	Keys []string
	// Bus carries envelopes and registers connections. Required.
	Bus Bus
	// Upstream delivers connection events and client invocations to the
	// application's functions. Default nil: no upstream; a blocking
	// invocation is answered at once with ErrTextNoUpstream.
	Upstream *upstream.Client
	// Logger receives connection lifecycle logs. Default: discard.
	Logger *slog.Logger
	// Hosts are the hosts accepted in a client token's aud (ports ignored).
	// Default: any host.
	Hosts []string
	// ConnectWindow is how long a connection token from negotiate stays
	// valid for the connect request. Default 15s (Azure: about 5s; longer
	// here so slow networks and transport fallback still make it).
	ConnectWindow time.Duration
	// HandshakeTimeout bounds the wait for the client's handshake; a
	// token's asrs.s.cht claim (seconds) sets it for its connection, at
	// most 30s. Default 15s.
	HandshakeTimeout time.Duration
	// KeepAliveInterval is the send-idle time after which the server sends
	// a Ping. Default 15s.
	KeepAliveInterval time.Duration
	// ClientTimeout closes a connection after this long without any message
	// from the client. Default 30s.
	ClientTimeout time.Duration
	// WriteTimeout bounds one write to a client socket. Default 10s.
	WriteTimeout time.Duration
	// BusTimeout bounds one call the gateway makes to the bus: registering
	// and unregistering a connection, claiming its connection token,
	// locating the node that holds it, and the quota counts. A call over
	// it fails (the connect gets 503, a teardown logs it). Default 5s
	// (DefaultBusTimeout).
	BusTimeout time.Duration
	// MaxMessageBytes is the largest client message accepted; larger ones
	// close the connection. Default 1 MiB.
	MaxMessageBytes int
	// QueueMessages is the most frames queued for one connection before it
	// is closed as a slow consumer. Default 1024.
	QueueMessages int
	// QueueBytes is the most bytes queued for one connection before it is
	// closed as a slow consumer. Default 4 MiB.
	QueueBytes int
	// MaxConnections is the most concurrent client connections of the
	// deployment, counted through the bus (which must implement
	// bus.Quotas): over it, negotiate and connect answer 429 "Connection
	// count reaches limit". Default 0: no limit.
	MaxConnections int
	// MaxUserConnections is the most concurrent connections of one user
	// in one hub, counted like MaxConnections. Default 0: no limit.
	MaxUserConnections int
	// NegotiateRate is the most negotiates per second of the deployment,
	// counted through the bus: over it, negotiate answers 429 with
	// Retry-After. Default 0: no limit.
	NegotiateRate int
	// InternalURL is the base URL other gateway nodes reach this node at
	// (e.g. "http://10.0.3.7:8080"); it is registered with every
	// connection, and Server-Sent Events and Long Polling requests for a
	// connection held by another node are forwarded to that node's
	// InternalURL, so load balancers need no sticky sessions. Default
	// empty: nothing is forwarded (one node).
	InternalURL string
	// LongPollTimeout is how long a poll waits for messages before it is
	// answered 200 with an empty body. Default 90s (ASP.NET Core's).
	// Long Polling has no ping timeout: a Long Polling connection with no
	// poll for ClientTimeout is ended instead.
	LongPollTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Metrics receives connection and delivery counts (shared/metrics).
	// Default: none.
	Metrics Metrics
	// Tracer receives connectivity and messaging events for the resource
	// logs and the live trace (shared/diag). Default nil: none.
	Tracer *diag.Tracer
	// MaxDiagnosticConnections is the most diagnostic clients (tokens with
	// the asrs.s.dc claim) connected to this node at once; the next
	// connect gets 429. Default 100 (DefaultMaxDiagnosticConnections).
	MaxDiagnosticConnections int
	// MaxHubs is the most hubs this node holds connections in at once; a
	// connect to one more hub gets 429 ReasonHubLimit. Hub names come from
	// clients, and each hub costs the node a subscription and index
	// entries. Default 1000 (DefaultMaxHubs); negative: no limit.
	MaxHubs int
	// MaxAddressConnections is the most concurrent connections from one
	// client address on this node; the next connect gets 429
	// ReasonAddressLimit. The address is the request's remote IP, or with
	// ForwardedHops the one the trusted proxies saw. Default 0: no limit.
	MaxAddressConnections int
	// ForwardedHops is the number of trusted proxies in front of the node
	// (1 behind an AWS Application Load Balancer), each appending the
	// address it saw to X-Forwarded-For: the client address is then the
	// ForwardedHops-th entry from the right. Default 0: the remote IP
	// (X-Forwarded-For is ignored; it is the client's to forge).
	ForwardedHops int
	// InvokeTimeout bounds the wait for a client's result to a REST
	// :invoke (completions.go). Default 30s (DefaultInvokeTimeout).
	InvokeTimeout time.Duration
	// MaxConnectionInvocations is the most REST :invoke calls waiting on
	// one connection; the next is refused (429). Default 16.
	MaxConnectionInvocations int
	// MaxInvocations is the most REST :invoke calls waiting on this node.
	// Default 10000.
	MaxInvocations int
	// MaxConnectionStreams is the most server-to-client streams open on
	// one connection; the next StreamInvocation is answered with an error.
	// Default 16.
	MaxConnectionStreams int
}

// DefaultBusTimeout is Config.BusTimeout when not set.
const DefaultBusTimeout = 5 * time.Second

// DefaultMaxHubs is Config.MaxHubs when not set.
const DefaultMaxHubs = 1000

func (c Config) withDefaults() (Config, error) {
	if len(c.Keys) == 0 {
		return c, errors.New("gateway: Config.Keys is empty")
	}
	for _, k := range c.Keys {
		if k == "" {
			return c, errors.New("gateway: Config.Keys has an empty key")
		}
	}
	if c.Bus == nil {
		return c, errors.New("gateway: Config.Bus is nil")
	}
	if _, ok := c.Bus.(bus.Quotas); c.quotasOn() && !ok {
		return c, errors.New("gateway: quotas are configured but the bus cannot count them (bus.Quotas)")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	setDuration(&c.ConnectWindow, 15*time.Second)
	setDuration(&c.HandshakeTimeout, 15*time.Second)
	setDuration(&c.KeepAliveInterval, 15*time.Second)
	setDuration(&c.ClientTimeout, 30*time.Second)
	setDuration(&c.WriteTimeout, 10*time.Second)
	setDuration(&c.BusTimeout, DefaultBusTimeout)
	setDuration(&c.LongPollTimeout, 90*time.Second)
	c.InternalURL = strings.TrimSuffix(c.InternalURL, "/")
	setInt(&c.MaxMessageBytes, 1<<20)
	setInt(&c.QueueMessages, 1024)
	setInt(&c.QueueBytes, 4<<20)
	setInt(&c.MaxDiagnosticConnections, DefaultMaxDiagnosticConnections)
	setDuration(&c.InvokeTimeout, DefaultInvokeTimeout)
	setInt(&c.MaxConnectionInvocations, DefaultMaxConnectionInvocations)
	setInt(&c.MaxInvocations, DefaultMaxInvocations)
	setInt(&c.MaxConnectionStreams, DefaultMaxConnectionStreams)
	switch {
	case c.MaxHubs == 0:
		c.MaxHubs = DefaultMaxHubs
	case c.MaxHubs < 0:
		c.MaxHubs = 0 // no limit
	}
	if c.MaxAddressConnections < 0 || c.ForwardedHops < 0 {
		return c, errors.New("gateway: Config.MaxAddressConnections and ForwardedHops must not be negative")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	return c, nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n <= 0 {
		*n = def
	}
}

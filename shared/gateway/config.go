package gateway

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/config"
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
	// QueueMessages is the most frames queued for one connection before it
	// is closed as a slow consumer. Default 1024.
	QueueMessages int
	// QueueBytes is the most bytes queued for one connection before it is
	// closed as a slow consumer. Default 4 MiB.
	QueueBytes int
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
	// GatewayTuning are the limits, timeouts and quotas, each documented
	// there and in docs/configuration.md with its option; zero fields
	// mean their defaults (config.GatewayTuning.WithDefaults).
	config.GatewayTuning
}

// DefaultBusTimeout is Config.BusTimeout when not set (the default tag
// of config.GatewayTuning.BusTimeout; TestDefaultsAreTheTags).
const DefaultBusTimeout = 5 * time.Second

// DefaultMaxHubs is Config.MaxHubs when not set (the same).
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
	c.GatewayTuning = c.GatewayTuning.WithDefaults()
	setDuration(&c.HandshakeTimeout, 15*time.Second)
	setDuration(&c.KeepAliveInterval, 15*time.Second)
	setDuration(&c.ClientTimeout, 30*time.Second)
	setDuration(&c.WriteTimeout, 10*time.Second)
	setDuration(&c.LongPollTimeout, 90*time.Second)
	c.InternalURL = strings.TrimSuffix(c.InternalURL, "/")
	setInt(&c.QueueMessages, 1024)
	setInt(&c.QueueBytes, 4<<20)
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

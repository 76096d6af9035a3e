package metrics

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/upstream"
)

// Message kinds (label kind of the message counters): the four send scopes
// and KindUpstream, client invocations for the application's functions.
const (
	KindUpstream = "upstream"
)

// numScopes sizes the per-scope counter arrays (bus.Scope values 1..4).
const numScopes = int(bus.ScopeGroup) + 1

// Metrics holds Herald's collectors. Create it with New; its methods are
// safe for concurrent use.
type Metrics struct {
	connections *prometheus.GaugeVec
	opened      *prometheus.CounterVec
	closed      *prometheus.CounterVec
	received    *prometheus.CounterVec
	sent        *prometheus.CounterVec
	sentBytes   prometheus.Counter
	overflows   prometheus.Counter
	rest        *prometheus.HistogramVec
	upstream    *prometheus.HistogramVec
	publish     prometheus.Histogram
	publishErrs prometheus.Counter
	diagnostic  prometheus.Gauge
	limits      *prometheus.CounterVec
	auth        *prometheus.CounterVec
	invocations *prometheus.CounterVec
	reconnects  *prometheus.CounterVec
	handovers   *prometheus.CounterVec
	expiries    prometheus.Counter
	buffered    prometheus.Gauge

	// Pre-resolved per scope: the fan-out path does no label lookups.
	receivedBy [numScopes]prometheus.Counter
	sentBy     [numScopes]prometheus.Counter
	upstreamIn prometheus.Counter
	upstreamTo prometheus.Counter

	// open counts the connections of each herald_connections series; a
	// series is deleted with its last connection, as hub names come from
	// clients.
	openMu sync.Mutex
	open   map[connLabels]int
}

// connLabels are the label values of a herald_connections series.
type connLabels struct{ hub, transport, protocol string }

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: New needs a Registerer")
	}
	m := &Metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_connections",
			Help: "Open client connections on this node, by hub, transport and hub protocol.",
		}, []string{"hub", "transport", "protocol"}),
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_connections_opened_total",
			Help: "Client connections that completed their handshake, by transport and hub protocol.",
		}, []string{"transport", "protocol"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_connections_closed_total",
			Help: "Client connections that ended, by reason (client_closed, connection_lost, app_closed, service_reloading, ping_timeout, slow_client, protocol_error, message_too_large, internal_error, duplicate_id, token_expired, reconnect_buffer_full, sequence_error, handed_over).",
		}, []string{"reason"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_messages_received_total",
			Help: "Messages taken in: REST sends by scope (all, user, group, connection) and client invocations for the upstream (upstream).",
		}, []string{"kind"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_messages_sent_total",
			Help: "Messages given out: frames queued to client connections by send scope, and upstream calls carrying client invocations (upstream).",
		}, []string{"kind"}),
		sentBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_messages_sent_bytes_total",
			Help: "Bytes of message frames queued to client connections.",
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_queue_overflows_total",
			Help: "Connections closed because their send queue filled up (slow clients).",
		}),
		rest: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_rest_request_duration_seconds",
			Help:    "REST data-plane requests by route, method and status code, and how long they took.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
		}, []string{"route", "method", "code"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_upstream_request_duration_seconds",
			Help:    "Calls to the application's upstream functions by category (connections, messages) and status (the HTTP code, timeout or error), and how long they took.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 15), // 5 ms … 82 s
		}, []string{"category", "status"}),
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "herald_bus_publish_duration_seconds",
			Help:    "How long the bus took to accept an envelope from the REST API, failures included.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14), // 0.1 ms … 0.8 s
		}),
		publishErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_bus_publish_errors_total",
			Help: "Envelopes the bus refused (the REST call answered 503).",
		}),
		open: make(map[connLabels]int),
		diagnostic: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "herald_diagnostic_connections",
			Help: "Open diagnostic client connections on this node.",
		}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_limit_refusals_total",
			Help: "Requests refused by a per-caller limit, by limit (connections, negotiate_rate, hubs_per_node, connections_per_address, groups_per_connection, groups_per_user, live_trace_watchers, takeovers_per_node).",
		}, []string{"limit"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_auth_refusals_total",
			Help: "Requests refused for their token, by endpoint (rest, negotiate, client, internal) and reason (missing, malformed, signature, expired, not_yet_valid, audience, too_long, algorithm, issuer, no_exp, wrong_kind, scope, user_too_long).",
		}, []string{"endpoint", "reason"}),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_client_invocations_total",
			Help: "REST :invoke calls to clients on this node by outcome (result, error, gone, timeout, limit, too_large), and Completions for no pending invocation (unknown).",
		}, []string{"outcome"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_stateful_reconnects_total",
			Help: "Reconnects of stateful reconnect clients on this node by outcome (resumed, ended, failed, sequence_error).",
		}, []string{"outcome"}),
		handovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_stateful_handovers_total",
			Help: "Stateful connections moved between nodes, by side (in: taken over by this node; out: handed over to another) and outcome (done, not_found, attached, lost, failed).",
		}, []string{"side", "outcome"}),
		expiries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_stateful_window_expiries_total",
			Help: "Stateful connections ended because their client did not reconnect within the reconnect window.",
		}),
		buffered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "herald_stateful_buffered_bytes",
			Help: "Bytes of messages this node keeps for stateful connections until their clients acknowledge them.",
		}),
	}
	for _, c := range []prometheus.Collector{m.reconnects, m.handovers, m.expiries, m.buffered, m.connections, m.opened, m.closed, m.received, m.sent,
		m.sentBytes, m.overflows, m.rest, m.upstream, m.publish, m.publishErrs, m.diagnostic, m.limits, m.auth, m.invocations} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	for s := bus.ScopeAll; s <= bus.ScopeGroup; s++ {
		m.receivedBy[s] = m.received.WithLabelValues(s.String())
		m.sentBy[s] = m.sent.WithLabelValues(s.String())
	}
	m.upstreamIn = m.received.WithLabelValues(KindUpstream)
	m.upstreamTo = m.sent.WithLabelValues(KindUpstream)
	return m, nil
}

// connMetrics is one open connection's series.
type connMetrics struct {
	m      *Metrics
	labels connLabels
	diag   bool
	once   sync.Once
}

// ConnectionOpened implements gateway.Metrics.
func (m *Metrics) ConnectionOpened(hub, transport, protocol string, diagnostic bool) gateway.ConnectionMetrics {
	m.opened.WithLabelValues(transport, protocol).Inc()
	l := connLabels{hub, transport, protocol}
	m.openMu.Lock()
	m.open[l]++
	m.connections.WithLabelValues(hub, transport, protocol).Inc()
	m.openMu.Unlock()
	if diagnostic {
		m.diagnostic.Inc()
	}
	return &connMetrics{m: m, labels: l, diag: diagnostic}
}

// Closed implements gateway.ConnectionMetrics. The series goes away with
// its last connection.
func (c *connMetrics) Closed(reason string) {
	c.once.Do(func() {
		m, l := c.m, c.labels
		m.openMu.Lock()
		if m.open[l]--; m.open[l] <= 0 {
			delete(m.open, l)
			m.connections.DeleteLabelValues(l.hub, l.transport, l.protocol)
		} else {
			m.connections.WithLabelValues(l.hub, l.transport, l.protocol).Dec()
		}
		m.openMu.Unlock()
		if c.diag {
			m.diagnostic.Dec()
		}
		m.closed.WithLabelValues(reason).Inc()
	})
}

// Delivered implements gateway.Metrics.
func (m *Metrics) Delivered(scope bus.Scope, messages, bytes int) {
	if int(scope) < numScopes && m.sentBy[scope] != nil {
		m.sentBy[scope].Add(float64(messages))
	}
	m.sentBytes.Add(float64(bytes))
}

// Received implements gateway.Metrics: client invocations.
func (m *Metrics) Received(n int) { m.upstreamIn.Add(float64(n)) }

// LimitReached counts one request refused by a per-caller limit
// (gateway.LimitMetrics, httpapi's group limits, the live trace).
func (m *Metrics) LimitReached(limit string) { m.limits.WithLabelValues(limit).Inc() }

// AuthRefused counts one request refused for its token
// (httpapi.AuthMetrics, gateway.AuthMetrics): endpoint is rest, negotiate
// or client, reason a token.Reason* label.
func (m *Metrics) AuthRefused(endpoint, reason string) {
	m.auth.WithLabelValues(endpoint, reason).Inc()
}

// StatefulReconnect implements gateway.StatefulMetrics.
func (m *Metrics) StatefulReconnect(outcome string) { m.reconnects.WithLabelValues(outcome).Inc() }

// Handover implements gateway.HandoverMetrics.
func (m *Metrics) Handover(side, outcome string) { m.handovers.WithLabelValues(side, outcome).Inc() }

// StatefulWindowExpired implements gateway.StatefulMetrics.
func (m *Metrics) StatefulWindowExpired() { m.expiries.Inc() }

// StatefulBuffered implements gateway.StatefulMetrics.
func (m *Metrics) StatefulBuffered(bytes int64) { m.buffered.Set(float64(bytes)) }

// QueueOverflow implements gateway.Metrics.
func (m *Metrics) QueueOverflow() { m.overflows.Inc() }

// Invoked implements gateway.InvokeMetrics.
func (m *Metrics) Invoked(outcome string) { m.invocations.WithLabelValues(outcome).Inc() }

// UnknownCompletion implements gateway.InvokeMetrics.
func (m *Metrics) UnknownCompletion() { m.invocations.WithLabelValues("unknown").Inc() }

// Request implements httpapi.RESTMetrics.
func (m *Metrics) Request(route, method string, status int, elapsed time.Duration) {
	m.rest.WithLabelValues(route, method, strconv.Itoa(status)).Observe(elapsed.Seconds())
}

// Published implements httpapi.RESTMetrics.
func (m *Metrics) Published(e *bus.Envelope, elapsed time.Duration, err error) {
	m.publish.Observe(elapsed.Seconds())
	switch {
	case err != nil:
		m.publishErrs.Inc()
	case e.Kind == bus.KindSend && int(e.Scope) < numScopes && m.receivedBy[e.Scope] != nil:
		m.receivedBy[e.Scope].Inc()
	}
}

// Upstream is an upstream.Config.Observe function.
func (m *Metrics) Upstream(category string, status int, elapsed time.Duration, err error) {
	label := strconv.Itoa(status)
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		label = "timeout"
	case err != nil || status == 0:
		label = "error"
	}
	m.upstream.WithLabelValues(category, label).Observe(elapsed.Seconds())
	if category == upstream.CategoryMessages {
		m.upstreamTo.Inc()
	}
}

package gateway

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/hubproto"
)

// BenchmarkFanoutObserved is BenchmarkFanout with what production runs:
// Prometheus counters behind the Metrics hook (as shared/metrics resolves
// them, which this package cannot import) and a Tracer with every log
// category off and nobody watching. Compare with BenchmarkFanout for the
// cost of the hooks.
func BenchmarkFanoutObserved(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			m := newPromMetrics()
			benchFanout(b, n, hubproto.JSON, func(c *Config) {
				c.Metrics = m
				c.Tracer = diag.New(diag.Config{})
			})
		})
	}
}

// promMetrics mirrors shared/metrics' hot path: counters resolved once.
type promMetrics struct {
	conns    *prometheus.GaugeVec
	sentBy   [int(bus.ScopeGroup) + 1]prometheus.Counter
	bytes    prometheus.Counter
	received prometheus.Counter
	overflow prometheus.Counter
}

func newPromMetrics() *promMetrics {
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sent_total"}, []string{"kind"})
	m := &promMetrics{
		conns:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "conns"}, []string{"hub", "transport", "protocol"}),
		bytes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "bytes_total"}),
		received: prometheus.NewCounter(prometheus.CounterOpts{Name: "received_total"}),
		overflow: prometheus.NewCounter(prometheus.CounterOpts{Name: "overflow_total"}),
	}
	for s := bus.ScopeAll; s <= bus.ScopeGroup; s++ {
		m.sentBy[s] = sent.WithLabelValues(s.String())
	}
	return m
}

type promConn struct{ g prometheus.Gauge }

func (c promConn) Closed(string) { c.g.Dec() }

func (m *promMetrics) ConnectionOpened(hub, transport, protocol string, _ bool) ConnectionMetrics {
	g := m.conns.WithLabelValues(hub, transport, protocol)
	g.Inc()
	return promConn{g}
}

func (m *promMetrics) Delivered(scope bus.Scope, messages, bytes int) {
	m.sentBy[scope].Add(float64(messages))
	m.bytes.Add(float64(bytes))
}

func (m *promMetrics) Received(n int) { m.received.Add(float64(n)) }
func (m *promMetrics) QueueOverflow() { m.overflow.Inc() }

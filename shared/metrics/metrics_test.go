package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newMetrics(t *testing.T) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestCountsByLabel(t *testing.T) {
	m, reg := newMetrics(t)
	c1 := m.ConnectionOpened("chat", "WebSockets", "json", false)
	c2 := m.ConnectionOpened("chat", "WebSockets", "json", false)
	m.ConnectionOpened("news", "WebSockets", "messagepack", false)
	c1.Closed("ping_timeout")
	_ = c2
	m.Delivered(bus.ScopeGroup, 3, 300)
	m.Delivered(bus.ScopeAll, 2, 20)
	m.Received(4)
	m.QueueOverflow()
	m.Published(&bus.Envelope{Kind: bus.KindSend, Scope: bus.ScopeUser}, time.Millisecond, nil)
	m.Published(&bus.Envelope{Kind: bus.KindClose, Scope: bus.ScopeUser}, time.Millisecond, nil)
	m.Published(&bus.Envelope{Kind: bus.KindSend, Scope: bus.ScopeAll}, time.Millisecond, errors.New("down"))
	m.Request("sendAll", "POST", 202, time.Millisecond)
	m.Upstream("messages", 200, time.Millisecond, nil)
	m.Upstream("connections", 0, time.Second, fmt.Errorf("call: %w", context.DeadlineExceeded))
	m.Upstream("connections", 0, time.Second, errors.New("refused"))
	m.AuthRefused("client", "expired")
	m.AuthRefused("client", "expired")
	m.AuthRefused("rest", "signature")

	expect := func(name string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	value := func(name string, labels ...string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		metric:
			for _, mm := range mf.GetMetric() {
				got := map[string]string{}
				for _, lp := range mm.GetLabel() {
					got[lp.GetName()] = lp.GetValue()
				}
				for i := 0; i < len(labels); i += 2 {
					if got[labels[i]] != labels[i+1] {
						continue metric
					}
				}
				switch {
				case mm.Counter != nil:
					return mm.Counter.GetValue()
				case mm.Gauge != nil:
					return mm.Gauge.GetValue()
				case mm.Histogram != nil:
					return float64(mm.Histogram.GetSampleCount())
				}
			}
		}
		return -1 // absent
	}
	expect("chat json", value("herald_connections", "hub", "chat", "protocol", "json"), 1)
	expect("news msgpack", value("herald_connections", "hub", "news", "protocol", "messagepack"), 1)
	expect("opened json", value("herald_connections_opened_total", "protocol", "json"), 2)
	expect("closed ping", value("herald_connections_closed_total", "reason", "ping_timeout"), 1)
	expect("sent group", value("herald_messages_sent_total", "kind", "group"), 3)
	expect("sent all", value("herald_messages_sent_total", "kind", "all"), 2)
	expect("sent upstream", value("herald_messages_sent_total", "kind", "upstream"), 1)
	expect("bytes", value("herald_messages_sent_bytes_total"), 320)
	expect("received upstream", value("herald_messages_received_total", "kind", "upstream"), 4)
	expect("received user", value("herald_messages_received_total", "kind", "user"), 1)
	expect("received all (failed publish)", value("herald_messages_received_total", "kind", "all"), 0)
	expect("overflows", value("herald_queue_overflows_total"), 1)
	expect("publishes", value("herald_bus_publish_duration_seconds"), 3)
	expect("publish errors", value("herald_bus_publish_errors_total"), 1)
	expect("rest", value("herald_rest_request_duration_seconds", "route", "sendAll", "code", "202"), 1)
	expect("upstream 200", value("herald_upstream_request_duration_seconds", "category", "messages", "status", "200"), 1)
	expect("upstream timeout", value("herald_upstream_request_duration_seconds", "status", "timeout"), 1)
	expect("upstream error", value("herald_upstream_request_duration_seconds", "status", "error"), 1)
	expect("auth client expired", value("herald_auth_refusals_total", "endpoint", "client", "reason", "expired"), 2)
	expect("auth rest signature", value("herald_auth_refusals_total", "endpoint", "rest", "reason", "signature"), 1)
}

// Two Metrics on one registry collide; separate registries do not.
func TestRegistryIsolation(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg); err == nil {
		t.Fatal("second registration on one registry accepted")
	}
	if _, err := metrics.New(nil); err == nil {
		t.Fatal("nil registry accepted")
	}
	if _, err := metrics.New(metrics.NewRegistry()); err != nil {
		t.Fatal(err)
	}
}

// Delivered does not allocate: it runs once per fan-out.
func TestDeliveredDoesNotAllocate(t *testing.T) {
	m, _ := newMetrics(t)
	if n := testing.AllocsPerRun(1000, func() { m.Delivered(bus.ScopeAll, 10, 1000) }); n != 0 {
		t.Fatalf("Delivered allocates %v times", n)
	}
}

// BenchmarkDelivered is the metrics cost of one fan-out, whatever its size.
func BenchmarkDelivered(b *testing.B) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Delivered(bus.ScopeAll, 10000, 600000)
	}
}

// Hub names come from clients (negotiate's hub parameter): a series per
// hub must not outlive the hub's last connection, or clients cycling
// through hub names grow the registry without bound.
func TestConnectionSeriesEndWithTheirLastConnection(t *testing.T) {
	m, reg := newMetrics(t)
	kept := m.ConnectionOpened("chat", "WebSockets", "json", false)
	for i := range 1000 {
		a := m.ConnectionOpened(fmt.Sprintf("hub%d", i), "WebSockets", "json", false)
		b := m.ConnectionOpened(fmt.Sprintf("hub%d", i), "WebSockets", "json", false)
		a.Closed("client_closed")
		b.Closed("client_closed")
	}
	again := m.ConnectionOpened("hub7", "LongPolling", "json", false)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "herald_connections" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "hub" {
					got[l.GetValue()] += s.GetGauge().GetValue()
				}
			}
		}
	}
	if len(got) != 2 || got["chat"] != 1 || got["hub7"] != 1 {
		t.Fatalf("herald_connections series by hub: %d series, chat=%v hub7=%v; want only chat and hub7 at 1", len(got), got["chat"], got["hub7"])
	}
	kept.Closed("client_closed")
	again.Closed("client_closed")
}

package metrics

import (
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// PrivateLabels are the labels a public endpoint never shows: hub names
// are chosen by callers (high cardinality) and tell which hubs exist.
var PrivateLabels = []string{"hub"}

// PublicHandler serves g like Handler, but without PrivateLabels: the
// series of a counter, gauge or untyped metric that differ only in them
// are summed into one; a histogram or summary carrying one is left out.
// Use it where /metrics is reachable by anyone (the main listener, when
// switched on); the admin listener serves everything.
func PublicHandler(g prometheus.Gatherer) http.Handler {
	return Handler(publicGatherer{g})
}

type publicGatherer struct{ g prometheus.Gatherer }

func (p publicGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := p.g.Gather()
	out := mfs[:0]
	for _, mf := range mfs {
		if mf = stripPrivate(mf); mf != nil {
			out = append(out, mf)
		}
	}
	return out, err
}

// stripPrivate returns mf without PrivateLabels, or nil when it cannot be
// summed.
func stripPrivate(mf *dto.MetricFamily) *dto.MetricFamily {
	private := func(l *dto.LabelPair) bool { return slices.Contains(PrivateLabels, l.GetName()) }
	has := false
	for _, m := range mf.GetMetric() {
		if slices.ContainsFunc(m.GetLabel(), private) {
			has = true
			break
		}
	}
	if !has {
		return mf
	}
	switch mf.GetType() {
	case dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
	default:
		return nil
	}
	byKey := map[string]*dto.Metric{}
	var order []string
	for _, m := range mf.GetMetric() {
		labels := slices.DeleteFunc(slices.Clone(m.GetLabel()), private)
		var key strings.Builder
		for _, l := range labels {
			key.WriteString(l.GetName() + "\xff" + l.GetValue() + "\xff")
		}
		k := key.String()
		sum, ok := byKey[k]
		if !ok {
			sum = &dto.Metric{Label: labels}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				sum.Counter = &dto.Counter{Value: new(float64)}
			case dto.MetricType_GAUGE:
				sum.Gauge = &dto.Gauge{Value: new(float64)}
			default:
				sum.Untyped = &dto.Untyped{Value: new(float64)}
			}
			byKey[k] = sum
			order = append(order, k)
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			*sum.Counter.Value += m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			*sum.Gauge.Value += m.GetGauge().GetValue()
		default:
			*sum.Untyped.Value += m.GetUntyped().GetValue()
		}
	}
	out := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit}
	for _, k := range order {
		out.Metric = append(out.Metric, byKey[k])
	}
	return out
}

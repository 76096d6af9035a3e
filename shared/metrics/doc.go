// Package metrics is Herald's Prometheus instrumentation: one Metrics per
// process, registered on a prometheus.Registerer the main injects (never
// the global default, so tests stay isolated), implementing the hooks of
// shared/gateway (gateway.Metrics), shared/httpapi (httpapi.RESTMetrics)
// and shared/upstream (upstream.Config.Observe).
//
// Every name starts with herald_ and follows Prometheus conventions:
// counters end in _total, durations are histograms in _seconds, sizes in
// _bytes. The hot path stays cheap: a connection resolves its labelled
// gauge once when it opens, and a fan-out adds its delivery and byte
// counts once per envelope, with counters resolved per scope at start.
//
// Labels are bounded: hub names (connections gauge only), transport,
// protocol, close reason labels (gateway.CloseLabel), message kind (all,
// user, group, connection, upstream), REST route names, methods and
// status codes, and upstream categories.
package metrics

// Package diag is Herald's diagnostics event stream: resource logs (the
// counterpart of Azure SignalR's connectivity, messaging and HTTP request
// logs) and the live trace, fed by one Tracer.
//
// Producers (the gateway, the REST API, the HTTP middleware) ask the
// Tracer whether a category is wanted before they build an event:
// Connectivity(), Messaging(diagnostic) and HTTP() are an atomic load and
// a few boolean tests, so a node with its logs off and nobody watching the
// live trace pays nothing more. Emit then writes the event as one log
// record (log/slog; the mains log JSON) and hands it to live trace
// watchers.
//
// Messaging logs come in two modes, like Azure's "collect all" and
// "collect partially": MessagingAll logs every message, and
// MessagingDiagnostic only those of diagnostic clients (connections whose
// token has the asrs.s.dc claim), both directions: deliveries to them and
// their invocations for the upstream.
package diag

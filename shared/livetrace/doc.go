// Package livetrace streams diagnostics events (shared/diag) to people
// watching, as Azure SignalR's Live Trace tool does: connectivity,
// messaging and HTTP events of every node, while someone watches.
//
// Routes (mounted under /livetrace/ by the emulator and the gateway):
//
//	GET /livetrace/          the viewer page (filters by hub, connection,
//	                         user and event kind; pause; search; export
//	                         JSON and CSV)
//	GET /livetrace/events    the stream: Server-Sent Events, one JSON event
//	                         per "data:" line; ?access_token=<token>
//
// A token is an HS256 JWT signed with an AccessKey whose aud is
// "herald-livetrace" and which has an exp (Token makes one; the page can
// sign one in the browser from a pasted AccessKey, which never leaves the
// browser). Nobody watching costs nothing: producers check an atomic flag
// before they build an event (diag.Tracer).
//
// Across nodes, a Relay (redisbus.Bus implements it) carries events: a
// node with watchers refreshes a flag in Redis every RelayPoll; every node
// polls the flag and, while it is set, publishes its events on one
// channel the watching nodes subscribe to. Events are dropped, never
// queued without bound, when a watcher or the relay is slower than the
// event rate.
package livetrace

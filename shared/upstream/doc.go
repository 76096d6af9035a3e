// Package upstream delivers connection events and client invocations to the
// application's HTTP function, as Azure SignalR Service does in Serverless
// mode with its "upstream" (event handler) settings.
//
// # Settings
//
// Settings is an ordered list of Template values: a URL template with the
// {hub}, {category} and {event} placeholders, and three patterns that select
// the events it receives. The first template whose three patterns match an
// event wins (Settings.Match); when none matches, the event is not sent and a
// blocking invocation is answered with an error completion at once.
// ParseSettingsFile reads the Azure SignalR emulator's settings.json, and
// WatchFile reloads it when the file changes.
//
// # Requests
//
// Every event is a POST carrying the X-ASRS-* headers (connection id, hub,
// category, event, user id, claims, client query) and X-ASRS-Signature,
// one "sha256=<hex HMAC-SHA256>" entry of the connection id per AccessKey.
// Bodies: {"type":10} for connected, {"Type":11,"Error":"..."} for
// disconnected, and the client's Invocation record without its framing for
// messages (application/json or application/x-msgpack, as the client
// speaks).
//
// # Sessions
//
// A Client holds the settings, keys and HTTP client; the gateway opens one
// Session per client connection. A Session delivers its events in order
// (connected, then the invocations as the client sent them, then
// disconnected) with at most one goroutine at a time, started when work
// arrives and ended when the queue is empty. Upstream calls across sessions
// run concurrently, bounded by Config.MaxConcurrent, so a slow upstream for
// one connection never blocks the others or the gateway's fan-out.
// Client.Close waits for all of it.
//
// # Replies
//
// A blocking invocation (one with an invocation id) gets what ReplyFrame
// maps the upstream response to: a 200 body verbatim (the function returns
// a framed Completion in the client's protocol), an empty completion for 204
// or an empty 200, and an error completion ("Invocation failed, status code
// 500", ...) otherwise.
//
// The wire format, taken from the Azure SignalR emulator and the Azure
// Functions SignalR extension, is described in docs/compat/upstream.md.
package upstream

package gateway

import (
	"fmt"
	"net/http"
	"strings"
)

// Close reasons sent to clients in a Close message's error, and logged.
// Azure SignalR's texts are reused where they exist, so the answers in its
// troubleshooting guide apply to Herald too. Troubles lists every one of
// them with its cause and what to do.
const (
	// ReasonServiceReloading closes connections of a stopping gateway; the
	// client may reconnect (allowReconnect true). Also the body of the 503
	// a draining gateway answers.
	ReasonServiceReloading = "Service reloading, try reconnecting"
	// ReasonAppClosed is used when the application closed the connection
	// through the REST API without a reason.
	ReasonAppClosed = "Application server closed the connection"
	// ReasonPingTimeout closes a connection silent for Config.ClientTimeout.
	ReasonPingTimeout = "Connection ping timeout"
	// ReasonSlowClient closes a connection whose send queue filled up.
	ReasonSlowClient = "Connection closed because it did not read messages fast enough"
	// ReasonProtocolError closes a connection that sent an invalid message.
	ReasonProtocolError = "Connection closed with an error."
	// ReasonMessageTooLarge closes a connection that sent a message over
	// Config.MaxMessageBytes.
	ReasonMessageTooLarge = "Connection closed because a message exceeded the maximum message size"
	// ReasonInternal closes a connection after a server-side failure.
	ReasonInternal = "Internal server transient error"
	// ReasonDuplicate closes a connection whose id is already connected.
	ReasonDuplicate = "Connection closed because its id is already in use"
	// ReasonConnectionLimit refuses a connection (429) over the connection
	// quota (Config.MaxConnections, Config.MaxUserConnections).
	ReasonConnectionLimit = "Connection count reaches limit"
	// ReasonHubLimit refuses a connection (429) to a hub this node does
	// not hold yet while it holds Config.MaxHubs hubs.
	ReasonHubLimit = "Hub count reaches limit"
	// ReasonAddressLimit refuses a connection (429) from a client address
	// holding Config.MaxAddressConnections connections on this node.
	ReasonAddressLimit = "Connection count of this client address reaches limit"
	// ReasonNegotiateLimit refuses a negotiate (429, Retry-After) over
	// Config.NegotiateRate.
	ReasonNegotiateLimit = "Negotiate rate reaches limit, retry after a random delay"
	// ReasonTokenExpired closes a connection whose access token carried
	// asrs.s.coae and has expired.
	ReasonTokenExpired = "Connection closed because its access token expired"
	// ReasonConnectionLost is logged (never sent: nobody is left to read
	// it) for a connection whose socket or stream ended without a close
	// from the client: a WebSocket without a close frame, a Server-Sent
	// Events stream without a Close message, a Long Polling poll cut off
	// and never renewed.
	ReasonConnectionLost = "The connection was lost without a close from the client"
)

// Close reasons of stateful reconnect (docs/compat/stateful-reconnect.md).
const (
	// ReasonReconnectBufferFull closes a stateful connection whose client
	// left more than StatefulBufferBytes of messages unacknowledged.
	ReasonReconnectBufferFull = "Connection closed because too many messages went unacknowledged"
	// ReasonSequenceAhead closes a reconnected connection whose client's
	// Sequence names messages the server never received.
	ReasonSequenceAhead = "Connection closed because the client's Sequence is beyond the messages received"
	// ReasonReconnectFailed closes a reconnect's socket that could not
	// take the connection over.
	ReasonReconnectFailed = "The connection could not be resumed; start a new one"
)

// HTTP answers of the client endpoints (plain-text bodies).
const (
	// TextNoConnection answers a connect with an unknown connection id (404).
	TextNoConnection = "No Connection with that ID"
	// TextConnectTooLate is added to TextNoConnection when the connect
	// came after the negotiate's connect window.
	TextConnectTooLate = ": the connect request came later than the negotiate reservation window, negotiate again"
	// TextIDInUse answers a second connect for a connected id (409).
	TextIDInUse = "Connection ID is already in use."
	// TextIDRequired answers a connect without an id (400).
	TextIDRequired = "Connection ID required"
	// TextUnauthorized starts the body of every 401.
	TextUnauthorized = "Unauthorized: "
	// TextTransportNotAllowed answers (400) a connect over a transport the
	// access token's asrs.s.htt claim leaves out.
	TextTransportNotAllowed = "The access token does not allow this transport."
)

// Completion errors for client invocations the gateway answers itself.
const (
	// ErrTextNoUpstream answers a blocking invocation when no upstream
	// handles the hub's messages.
	ErrTextNoUpstream = "Invocation failed, no upstream is configured to handle client invocations in serverless mode."
	// ErrTextTooManyDiagnostic answers (429) a diagnostic client's connect
	// while the node already holds MaxDiagnosticConnections of them.
	ErrTextTooManyDiagnostic = "Too many diagnostic connections: the limit is reached, try again later or connect without the diagnostic claim."
)

// Trouble is one answer Herald gives when something fails: an HTTP status
// on a request, or a Close message ending a connection.
type Trouble struct {
	// Step is where the client meets it: "negotiate", "connect",
	// "connection" (a Close message), "REST" or "live trace".
	Step string
	// Status is the HTTP status; 0 for a Close message.
	Status int
	// Text is the response body (or its start) or the Close message's
	// error, also logged.
	Text string
	// AllowReconnect is the Close message's allowReconnect.
	AllowReconnect bool
	// Why explains the cause.
	Why string
	// Fix says what to do.
	Fix string
	// Diagnose says which log record, metric or live trace view shows it.
	Diagnose string
}

// seenHTTP is the Diagnose text of an HTTP answer: its HttpRequest record
// and live trace event, then more.
func seenHTTP(status int, more string) string {
	s := fmt.Sprintf("`HttpRequest` with `status` %d (`--log-http`; the live trace's HTTP events)", status)
	if more != "" {
		s += "; " + more
	}
	return s
}

// seenClose is the Diagnose text of a Close message: its ConnectionAborted
// record and live trace event, the closed-connections metric, then more.
func seenClose(reason, more string) string {
	label := CloseLabel(reason, nil)
	s := "`ConnectionAborted` with `reasonLabel` `" + label + "` (`--log-connectivity`; the live trace); `herald_connections_closed_total{reason=\"" + label + "\"}`"
	if more != "" {
		s += "; " + more
	}
	return s
}

// Troubles is the table of every failure answer: the code sends these
// texts, logs them, and the troubleshooting guide (docs/troubleshooting.md)
// is generated from this table (TroubleshootingMarkdown; a test keeps them
// equal).
var Troubles = []Trouble{
	{Step: "negotiate, connect", Status: http.StatusBadRequest, Text: errHubMissing.Error() + " / " + errHubRepeated.Error() + " / " + errHubInvalid.Error(),
		Why: "the `hub` query parameter is missing, repeated or not a hub name (a letter, then at most 128 letters, digits or ``_`,.[]``)",
		Fix: "give `withUrl` the URL your negotiate function returned, unmodified", Diagnose: seenHTTP(400, "")},
	{Step: "negotiate, connect", Status: http.StatusBadRequest, Text: "Invalid query parameter '…': …",
		Why: "a query value (or name) that is not valid percent-encoding or UTF-8, or pairs separated by `;`; the text names the parameter",
		Fix: "percent-encode query values (`encodeURIComponent`)", Diagnose: seenHTTP(400, "")},
	{Step: "connect", Status: http.StatusBadRequest, Text: TextIDRequired,
		Why: "a connect request without `id`", Fix: "let the client negotiate first (do not use `skipNegotiation` with Herald's negotiate)",
		Diagnose: seenHTTP(400, "")},
	{Step: "connect", Status: http.StatusBadRequest, Text: TextTransportNotAllowed,
		Why:      "the access token's `asrs.s.htt` claim (a bit set of transports) leaves out the transport the client picked",
		Fix:      "let the client use an allowed transport (`transport` in `withUrl`'s options), or issue tokens without the claim",
		Diagnose: seenHTTP(400, "")},
	{Step: "negotiate, connect", Status: http.StatusUnauthorized, Text: TextUnauthorized + "…",
		Why:      "the access token is missing, not signed with a configured AccessKey, for another hub or URL, or expired (default lifetime 1 hour; Server-Sent Events and Long Polling send it with every request, so they meet this when it runs out)",
		Fix:      "negotiate again for a fresh token (automatic reconnect does); check that the functions and the gateways share the AccessKey",
		Diagnose: seenHTTP(401, "the body after `Unauthorized: ` names the check that failed; the warning `"+LogClientTokenRefused+"` with `hubName`, `route`, `callerIpAddress`, `reasonLabel` and `message` (never the token); `herald_auth_refusals_total{endpoint=\"client\",reason}`")},
	{Step: "connect", Status: http.StatusNotFound, Text: TextNoConnection + "[" + TextConnectTooLate + "]",
		Why: "the connect came more than the connect window (15 s) after negotiate, or the id is unknown (e.g. `skipNegotiation` against the app's URL, or a poll or POST for a connection that ended)",
		Fix: "connect right after negotiate; on slow networks raise `HERALD_CONNECT_WINDOW`", Diagnose: seenHTTP(404, "")},
	{Step: "connect", Status: http.StatusConflict, Text: TextIDInUse,
		Why: "a second WebSocket (or Server-Sent Events or Long Polling open) for a connection id that is connected; for a stateful reconnect, another reconnect of the same connection still under way (`herald_stateful_reconnects_total{outcome=\"busy\"}`)",
		Fix: "negotiate once per connection; never share a negotiate response", Diagnose: seenHTTP(409, "")},
	{Step: "negotiate, connect", Status: http.StatusTooManyRequests, Text: ReasonConnectionLimit,
		Why:      "the deployment (or this user, in this hub) holds the most concurrent connections allowed (`HERALD_MAX_CONNECTIONS`, `HERALD_MAX_USER_CONNECTIONS`); every transport counts",
		Fix:      "close connections you no longer need, raise the limit, or retry later",
		Diagnose: seenHTTP(429, "the warning `Connection count reaches limit` with `step`, `hubName`, `userId` and both limits; `herald_limit_refusals_total{limit=\"connections\"}`; `herald_connections` summed over the nodes")},
	{Step: "connect", Status: http.StatusTooManyRequests, Text: ReasonHubLimit,
		Why:      "this gateway node holds connections in `HERALD_MAX_HUBS` (1,000) hubs and the client connects to another one; every hub costs the node a subscription and index entries, and hub names come from clients",
		Fix:      "use fewer hub names (groups partition a hub), add gateway nodes, or raise the limit; the load balancer may send a retry to another node",
		Diagnose: seenHTTP(429, "the warning `Hub count reaches limit` with `hubName` and `max_hubs`; `herald_limit_refusals_total{limit=\"hubs_per_node\"}`")},
	{Step: "connect", Status: http.StatusTooManyRequests, Text: ReasonAddressLimit,
		Why:      "one client address holds `HERALD_MAX_ADDRESS_CONNECTIONS` connections on this node (the address is the remote IP, or with `HERALD_FORWARDED_HOPS` the one the load balancer saw)",
		Fix:      "close connections you no longer need; clients behind one NAT share an address, so raise the limit for them",
		Diagnose: seenHTTP(429, "the warning `Connection count of this client address reaches limit` with `address`; `herald_limit_refusals_total{limit=\"connections_per_address\"}`")},
	{Step: "REST", Status: http.StatusConflict, Text: "The connection is in as many groups as allowed; remove it from a group first (…). / The user is in as many groups as allowed; …",
		Why:      "adding a connection to one more group than `HERALD_MAX_CONNECTION_GROUPS` (1,000; user-level memberships count too), or recording one more user-level membership than `HERALD_MAX_USER_GROUPS` (1,000); codes `Error.Connection.GroupLimitReached`, `Error.User.GroupLimitReached`",
		Fix:      "remove memberships no longer needed, or raise the limit on the functions",
		Diagnose: "the REST call's `x-ms-error-code`; `herald_limit_refusals_total{limit=\"groups_per_connection\"}` or `{limit=\"groups_per_user\"}`"},
	{Step: "live trace", Status: http.StatusTooManyRequests, Text: "Live trace watcher count reaches limit",
		Why:      "this process serves `HERALD_MAX_LIVETRACE_WATCHERS` (16) live trace streams already",
		Fix:      "close live trace pages you no longer watch, or raise the limit",
		Diagnose: "the warning `Live trace watcher count reaches limit`; `herald_limit_refusals_total{limit=\"live_trace_watchers\"}`"},
	{Step: "negotiate", Status: http.StatusTooManyRequests, Text: ReasonNegotiateLimit,
		Why:      "more negotiates per second than `HERALD_NEGOTIATE_RATE` across the deployment; `Retry-After` says when the next second starts",
		Fix:      "retry after `Retry-After` plus a random delay (e.g. 1–5 s), so clients that failed together do not retry together",
		Diagnose: seenHTTP(429, "the warning `Negotiate rate reaches limit…` with `limit_per_second`; `herald_limit_refusals_total{limit=\"negotiate_rate\"}`")},
	{Step: "negotiate, connect", Status: http.StatusTooManyRequests, Text: ErrTextTooManyDiagnostic,
		Why:      "a diagnostic client (`asrs.s.dc`) while this node holds `HERALD_MAX_DIAGNOSTIC_CONNECTIONS` (100) of them; the limit is per node",
		Fix:      "close diagnostic clients you no longer need, or connect without the diagnostic claim",
		Diagnose: seenHTTP(429, "`herald_diagnostic_connections` of the node")},
	{Step: "negotiate, connect", Status: http.StatusServiceUnavailable, Text: ReasonServiceReloading,
		Why: "this gateway node is stopping (deploy, scale-in)", Fix: "retry: the load balancer sends the next attempt to another node",
		Diagnose: seenHTTP(503, "the node's `/api/health` answers 503 with `\"gateway\":\"gateway: draining, …\"`")},
	{Step: "negotiate, connect", Status: http.StatusServiceUnavailable, Text: ReasonInternal,
		Why: "quotas are configured and the bus cannot count (Redis unreachable)", Fix: "retry after a random delay; check Redis",
		Diagnose: seenHTTP(503, "the warning `quota check failed` with the bus error; the `bus` check of `/api/health`")},
	{Step: "negotiate, connect", Status: http.StatusRequestHeaderFieldsTooLarge, Text: "431 Request Header Fields Too Large",
		Why:      "the request line and headers over `HERALD_HTTP_MAX_HEADER_BYTES` (16 KiB) plus what Go's HTTP server reads ahead: refused from 20 KiB on a new connection, from 24 KiB at the latest; a long URL counts too, so where Azure answers 414 URI Too Long Herald answers 431",
		Fix:      "send shorter headers and URLs (access tokens are at most 4,096 characters)",
		Diagnose: "no Herald record, metric or live trace event: Go's HTTP server answers before any handler runs; the client's error shows the status"},
	{Step: "connection", Text: ReasonAppClosed,
		Why: "the application closed the connection through the REST API (`DELETE …/connections/{id}`, `:closeConnections`) without a reason; with one, the client sees that reason",
		Fix: "expected; pass `reason` to tell clients why", Diagnose: seenClose(ReasonAppClosed, "the REST call's `HttpRequest`")},
	{Step: "connection", Text: ReasonPingTimeout,
		Why:      "nothing came from the client for 30 s (it sends a Ping every 15 s; on Long Polling, no poll after the last one was answered): the network dropped silently, or the client's tab or process was frozen. A socket or stream that ended without a close is `connection_lost` instead (docs/diagnostics.md)",
		Fix:      "use automatic reconnect; keep the client's keep-alive interval below half the server's client timeout",
		Diagnose: seenClose(ReasonPingTimeout, "")},
	{Step: "connection", Text: ReasonServiceReloading, AllowReconnect: true,
		Why: "the gateway node is stopping (SIGTERM): it closes its clients within `HERALD_SHUTDOWN_TIMEOUT`",
		Fix: "use `withAutomaticReconnect()`: the client reconnects to another node", Diagnose: seenClose(ReasonServiceReloading, "")},
	{Step: "connection", Text: ReasonInternal, AllowReconnect: true,
		Why: "the gateway could not register the connection in the bus (Redis unreachable)", Fix: "reconnect; check Redis if it persists",
		Diagnose: seenClose(ReasonInternal, "the warning `register connection` with the bus error")},
	{Step: "connection", Text: ReasonSlowClient,
		Why:      "the client did not read its messages: its queue (1,024 messages or 4 MiB) filled; other connections are not slowed",
		Fix:      "read faster, send less to that client, or use MessagePack",
		Diagnose: seenClose(ReasonSlowClient, "the warning `closing slow client` with `queued_frames` and `queued_bytes`; `herald_queue_overflows_total`")},
	{Step: "connection", Text: ReasonMessageTooLarge,
		Why: "the client sent a message over the maximum message size (`HERALD_MAX_MESSAGE_BYTES`, 1 MiB): WebSocket close code 1009; a Server-Sent Events or Long Polling POST is answered 413 with this text",
		Fix: "send smaller messages or raise the limit", Diagnose: seenClose(ReasonMessageTooLarge, "")},
	{Step: "connection", Text: ReasonProtocolError,
		Why:      "the client sent a frame or hub message Herald cannot parse; WebSocket close code 1002. Only that connection is closed",
		Fix:      "use an official client",
		Diagnose: seenClose(ReasonProtocolError, "the info line `closing connection after invalid message` with the parse error")},
	{Step: "connection", Text: ReasonTokenExpired,
		Why:      "the access token carried `asrs.s.coae` (close on auth expiration) and its `exp` passed",
		Fix:      "reconnect with a fresh token (negotiate again), or issue longer-lived tokens",
		Diagnose: seenClose(ReasonTokenExpired, "an info line with this text")},
	{Step: "connection", Text: ReasonDuplicate,
		Why: "another node registered the same connection id first", Fix: "negotiate again", Diagnose: seenClose(ReasonDuplicate, "")},
	{Step: "connection", Text: ReasonReconnectBufferFull,
		Why:      "a stateful reconnect client left more than `HERALD_STATEFUL_BUFFER_BYTES` of messages unacknowledged (it acknowledges about once a second), or more than that was sent to it while its socket was away",
		Fix:      "send less to one connection per second, or raise the buffer (docs/compat/stateful-reconnect.md)",
		Diagnose: seenClose(ReasonReconnectBufferFull, "the warning `closing stateful connection: reconnect buffer full` with `buffered_bytes`; `ReconnectBufferFull` in the live trace")},
	{Step: "connection", Text: ReasonSequenceAhead,
		Why:      "after a stateful reconnect the client's Sequence message named messages the server never received: they were lost, so the connection cannot go on",
		Fix:      "the client starts a new connection; report it if it repeats",
		Diagnose: seenClose(ReasonSequenceAhead, "the info line `closing stateful connection: Sequence beyond the messages received`; `herald_stateful_reconnects_total{outcome=\"sequence_error\"}`")},
	{Step: "connection", Text: ReasonReconnectFailed,
		Why:      "a stateful reconnect found the connection ending, or its old socket did not let go within 5 s",
		Fix:      "the client starts a new connection (with `withAutomaticReconnect()` it does so itself)",
		Diagnose: "the closed WebSocket of the reconnect; `herald_stateful_reconnects_total{outcome=\"ended\"}` or `{outcome=\"failed\"}`"},
}

// TroubleshootingMarkdown renders Troubles as the Markdown of the
// troubleshooting guide (docs/troubleshooting.md): one heading per answer,
// then where it happens, why, what to do and how to see it, one line each.
func TroubleshootingMarkdown() string {
	var b strings.Builder
	for i, t := range Troubles {
		answer := "Close"
		if t.AllowReconnect {
			answer += " (allowReconnect)"
		}
		if t.Status != 0 {
			answer = fmt.Sprintf("HTTP %d", t.Status)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s: `%s`\n\n", answer, t.Text)
		fmt.Fprintf(&b, "- **Where:** %s.\n", t.Step)
		fmt.Fprintf(&b, "- **Why:** %s.\n", t.Why)
		fmt.Fprintf(&b, "- **What to do:** %s.\n", t.Fix)
		fmt.Fprintf(&b, "- **How to see it:** %s.\n", t.Diagnose)
	}
	return b.String()
}

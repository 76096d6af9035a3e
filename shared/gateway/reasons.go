package gateway

// Close reasons sent to clients in a Close message's error, and logged.
// Azure SignalR's texts are reused where they exist, so the answers in its
// troubleshooting guide apply to Herald too.
const (
	// ReasonServiceReloading closes connections of a stopping gateway; the
	// client may reconnect (allowReconnect true).
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
)

// Completion errors for client invocations the gateway answers itself.
const (
	// ErrTextNoUpstream answers a blocking invocation when no upstream
	// handles the hub's messages.
	ErrTextNoUpstream = "Invocation failed, no upstream is configured to handle client invocations in serverless mode."
	// ErrTextNoStreaming answers a client streaming invocation, which
	// serverless mode does not support.
	ErrTextNoStreaming = "Client streaming invocations are not supported in serverless mode."
	// ErrTextTooManyDiagnostic answers (429) a diagnostic client's connect
	// while the node already holds MaxDiagnosticConnections of them.
	ErrTextTooManyDiagnostic = "Too many diagnostic connections: the limit is reached, try again later or connect without the diagnostic claim."
)

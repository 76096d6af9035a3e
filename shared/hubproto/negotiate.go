package hubproto

// Transport names and transfer formats of the negotiate response
// (TransportProtocols.md).
const (
	// TransportWebSockets names the WebSocket transport.
	TransportWebSockets = "WebSockets"
	// TransportServerSentEvents names the Server-Sent Events transport (text only).
	TransportServerSentEvents = "ServerSentEvents"
	// TransportLongPolling names the long-polling transport.
	TransportLongPolling = "LongPolling"

	// FormatText is the transfer format of text protocols (JSON).
	FormatText = "Text"
	// FormatBinary is the transfer format of binary protocols (MessagePack).
	FormatBinary = "Binary"
)

// NegotiateResponse is the body of a successful POST [endpoint]/negotiate
// answered by the service itself (docs/compat/negotiate.md#service-negotiate).
type NegotiateResponse struct {
	// NegotiateVersion is 1 when the client asked for version 1 or higher,
	// else 0.
	NegotiateVersion int `json:"negotiateVersion"`
	// ConnectionID is the public connection id used by REST, upstream and
	// groups.
	ConnectionID string `json:"connectionId"`
	// ConnectionToken is the secret id the client sends as ?id=; omitted for
	// negotiate version 0, where clients use ConnectionID instead.
	ConnectionToken string `json:"connectionToken,omitempty"`
	// AvailableTransports lists the transports the client may use, in order
	// of preference.
	AvailableTransports []AvailableTransport `json:"availableTransports"`
	// UseStatefulReconnect is true only when the client asked for stateful
	// reconnect and the server grants it.
	UseStatefulReconnect bool `json:"useStatefulReconnect,omitempty"`
}

// AvailableTransport is one entry of NegotiateResponse.AvailableTransports.
type AvailableTransport struct {
	// Transport is TransportWebSockets, TransportServerSentEvents or
	// TransportLongPolling.
	Transport string `json:"transport"`
	// TransferFormats lists FormatText and/or FormatBinary.
	TransferFormats []string `json:"transferFormats"`
}

// RedirectResponse is the negotiate body that sends a client on to the
// service: the SignalRConnectionInfo shape of the app negotiate
// (docs/compat/negotiate.md#app-negotiate).
type RedirectResponse struct {
	// URL is the service endpoint the client negotiates with next.
	URL string `json:"url"`
	// AccessToken, when set, replaces the client's token from then on.
	AccessToken string `json:"accessToken,omitempty"`
}

// ErrorResponse is the negotiate body that makes the client fail with Error.
type ErrorResponse struct {
	// Error is shown to the client; it must not leak internal details.
	Error string `json:"error"`
}

// DefaultTransports returns the transports Herald offers to a client, in the
// order ASP.NET Core lists them: WebSockets (Text, Binary), ServerSentEvents
// (Text) and LongPolling (Text, Binary). Each call returns a new slice.
func DefaultTransports() []AvailableTransport {
	return []AvailableTransport{
		{Transport: TransportWebSockets, TransferFormats: []string{FormatText, FormatBinary}},
		{Transport: TransportServerSentEvents, TransferFormats: []string{FormatText}},
		{Transport: TransportLongPolling, TransferFormats: []string{FormatText, FormatBinary}},
	}
}

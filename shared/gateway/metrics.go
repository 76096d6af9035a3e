package gateway

import (
	"errors"

	"github.com/heraldrt/herald/shared/bus"
)

// Metrics receives the gateway's counts; shared/metrics implements it with
// Prometheus. The hot path calls it once per envelope, never once per
// delivery.
type Metrics interface {
	// ConnectionOpened counts a connection that completed its handshake and
	// returns the handle its end is reported to (resolve labels here, once
	// per connection).
	// diagnostic marks a diagnostic client.
	ConnectionOpened(hub, transport, protocol string, diagnostic bool) ConnectionMetrics
	// Delivered counts one fan-out: messages frames of bytes bytes in all,
	// queued to connections, for an envelope of scope.
	Delivered(scope bus.Scope, messages, bytes int)
	// Received counts n invocations received from clients (for the
	// upstream), once per batch read.
	Received(n int)
	// QueueOverflow counts a connection closed because its queue filled up.
	QueueOverflow()
}

// ConnectionMetrics is one open connection's handle.
type ConnectionMetrics interface {
	// Closed counts the end of the connection with a short reason label
	// (see CloseLabel).
	Closed(reason string)
}

// Close labels: the bounded set of reasons a connection ends with, for
// metrics and logs (application-given close texts all map to
// CloseAppClosed).
const (
	CloseClientClosed    = "client_closed"
	CloseConnectionLost  = "connection_lost"
	CloseAppClosed       = "app_closed"
	CloseServiceReload   = "service_reloading"
	ClosePingTimeout     = "ping_timeout"
	CloseSlowClient      = "slow_client"
	CloseProtocolError   = "protocol_error"
	CloseMessageTooLarge = "message_too_large"
	CloseInternal        = "internal_error"
	CloseDuplicate       = "duplicate_id"
	CloseTokenExpired    = "token_expired"
	// CloseReconnectBuffer: a stateful connection left too much
	// unacknowledged (ReasonReconnectBufferFull).
	CloseReconnectBuffer = "reconnect_buffer_full"
	// CloseSequenceError: a resumed connection's client named messages the
	// server never received (ReasonSequenceAhead).
	CloseSequenceError = "sequence_error"
	// CloseReconnectFailed labels the close of a reconnect's socket that
	// could not resume its connection (ReasonReconnectFailed).
	CloseReconnectFailed = "reconnect_failed"
	// CloseHandedOver: another node took the stateful connection over; it
	// goes on there (handover.go).
	CloseHandedOver = "handed_over"
)

// reasonClientClose is the close reason of a client that sent Close.
const reasonClientClose = "client sent Close"

// reasonClientCloseFrame is the close reason of a client that ended the
// WebSocket with a close frame (a tab closed, a page left, stop()): a
// normal end, never an abort.
const reasonClientCloseFrame = "client closed the WebSocket"

// CloseLabel maps a connection's close reason (the text clients see; ""
// when the server did not close it) and the transport's error to a close
// label. Without a reason only the client's own close (errClientClosed: a
// WebSocket close frame, a Long Polling DELETE) is client_closed; a socket
// or stream that ended without one (end of stream, reset, errConnectionLost)
// is connection_lost, whichever transport (docs/diagnostics.md, "Why a
// connection ended").
func CloseLabel(reason string, err error) string {
	switch reason {
	case "":
		if errors.Is(err, errClientClosed) {
			return CloseClientClosed
		}
		return CloseConnectionLost
	case reasonClientClose, reasonClientCloseFrame:
		return CloseClientClosed
	case ReasonServiceReloading:
		return CloseServiceReload
	case ReasonPingTimeout:
		return ClosePingTimeout
	case ReasonSlowClient:
		return CloseSlowClient
	case ReasonProtocolError:
		return CloseProtocolError
	case ReasonMessageTooLarge:
		return CloseMessageTooLarge
	case ReasonInternal:
		return CloseInternal
	case ReasonDuplicate:
		return CloseDuplicate
	case ReasonTokenExpired:
		return CloseTokenExpired
	case ReasonReconnectBufferFull:
		return CloseReconnectBuffer
	case ReasonSequenceAhead:
		return CloseSequenceError
	case ReasonReconnectFailed:
		return CloseReconnectFailed
	}
	return CloseAppClosed
}

// noMetrics is the Metrics of a Server configured without any.
type noMetrics struct{}

func (noMetrics) ConnectionOpened(string, string, string, bool) ConnectionMetrics { return noMetrics{} }
func (noMetrics) Delivered(bus.Scope, int, int)                                   {}
func (noMetrics) Received(int)                                                    {}
func (noMetrics) QueueOverflow()                                                  {}
func (noMetrics) Closed(string)                                                   {}

package serverless

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Hub protocol names of InvocationContext.Protocol.
const (
	ProtocolJSON        = "json"
	ProtocolMessagePack = "messagepack"
)

// InvocationContext is one upstream request, decoded: the Go counterpart of
// the Functions trigger's InvocationContext.
type InvocationContext struct {
	// Hub is the hub name (X-ASRS-Hub).
	Hub string
	// Category is "connections" or "messages" (X-ASRS-Category).
	Category string
	// Event is "connected", "disconnected" or the invocation target
	// (X-ASRS-Event).
	Event string
	// ConnectionID is the client's connection id (X-ASRS-Connection-Id).
	ConnectionID string
	// UserID is the client's user id; "" when anonymous (X-ASRS-User-Id).
	UserID string
	// Claims are the client's token claims by type (X-ASRS-User-Claims,
	// parsed with ParseClaims); nil when there are none.
	Claims map[string]string
	// Query is the client's connect query (X-ASRS-Client-Query); nil when
	// there is none.
	Query url.Values
	// Headers are all request headers.
	Headers http.Header
	// Arguments are the invocation's arguments as JSON values, whatever the
	// client's protocol (messages only). Unmarshal them with Bind or
	// encoding/json.
	Arguments []json.RawMessage
	// InvocationID is the id of a blocking invocation, which expects a
	// result; "" for a non-blocking one (messages only).
	InvocationID string
	// Protocol is the client's hub protocol, from the Content-Type:
	// ProtocolJSON or ProtocolMessagePack.
	Protocol string
	// Error is why the connection ended; "" for a normal close
	// (disconnected only).
	Error string
}

// Bind unmarshals the arguments into ptrs, in order: Bind(&text, &n) reads
// the first two. Extra arguments are ignored; fewer arguments than ptrs is
// an error wrapping ErrMalformed.
func (inv *InvocationContext) Bind(ptrs ...any) error {
	if len(inv.Arguments) < len(ptrs) {
		return fmt.Errorf("%w: %d arguments, want at least %d", ErrMalformed, len(inv.Arguments), len(ptrs))
	}
	for i, p := range ptrs {
		if err := json.Unmarshal(inv.Arguments[i], p); err != nil {
			return fmt.Errorf("%w: argument %d: %w", ErrMalformed, i, err)
		}
	}
	return nil
}

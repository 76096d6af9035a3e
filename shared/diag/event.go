package diag

import (
	"fmt"
	"log/slog"
	"time"
)

// Category groups events; each is switched on or off on its own.
type Category uint8

// Categories (their names are Azure's resource log categories).
const (
	// Connectivity: connections starting and ending.
	Connectivity Category = 1 << iota
	// Messaging: messages received by the REST API and delivered to
	// connections, with their tracing id.
	Messaging
	// HTTP: every HTTP request a node serves.
	HTTP
)

// String is the category's log name.
func (c Category) String() string {
	switch c {
	case Connectivity:
		return "ConnectivityLogs"
	case Messaging:
		return "MessagingLogs"
	case HTTP:
		return "HttpRequestLogs"
	}
	return "Unknown"
}

// MarshalText writes the category's log name.
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a category's log name; unknown names are an error.
func (c *Category) UnmarshalText(b []byte) error {
	for _, k := range []Category{Connectivity, Messaging, HTTP} {
		if string(b) == k.String() {
			*c = k
			return nil
		}
	}
	return fmt.Errorf("diag: unknown category %q", b)
}

// Event names (the log message and the live trace's event kind).
const (
	// ConnectionStarted: a connection completed its handshake.
	ConnectionStarted = "ConnectionStarted"
	// ConnectionEnded: the client closed its connection.
	ConnectionEnded = "ConnectionEnded"
	// ConnectionAborted: the service ended the connection; Reason says why.
	ConnectionAborted = "ConnectionAborted"
	// MessageReceived: the REST API took a message; TraceID identifies it.
	MessageReceived = "MessageReceived"
	// MessageDelivered: a message was queued to a connection.
	MessageDelivered = "MessageDelivered"
	// MessageDropped: a message could not be queued to a connection (it was
	// closing, or its queue overflowed).
	MessageDropped = "MessageDropped"
	// HTTPRequest: an HTTP request was answered.
	HTTPRequest = "HttpRequest"
)

// Event is one diagnostics event. Empty fields are left out of logs and of
// the live trace's JSON.
type Event struct {
	Time     time.Time `json:"time"`
	Category Category  `json:"category"`
	Name     string    `json:"event"`
	Node     string    `json:"node,omitempty"`

	Hub          string `json:"hub,omitempty"`
	ConnectionID string `json:"connectionId,omitempty"`
	UserID       string `json:"userId,omitempty"`
	Diagnostic   bool   `json:"diagnostic,omitempty"`
	Transport    string `json:"transport,omitempty"`
	Protocol     string `json:"protocol,omitempty"`
	// Reason is why a connection ended (the text the client saw) and
	// ReasonLabel its short form (gateway close labels).
	Reason      string `json:"reason,omitempty"`
	ReasonLabel string `json:"reasonLabel,omitempty"`

	// TraceID is the message tracing id (the REST response's
	// X-Herald-Trace-Id header).
	TraceID string `json:"messageTracingId,omitempty"`
	// Scope and Target say whom a REST message addressed (all, user,
	// group, connection; the user, group or connection id) and Method the
	// client method it invokes.
	Scope  string `json:"scope,omitempty"`
	Target string `json:"target,omitempty"`
	Method string `json:"method,omitempty"`

	HTTPMethod string  `json:"httpMethod,omitempty"`
	Path       string  `json:"path,omitempty"`
	Status     int     `json:"status,omitempty"`
	DurationMS float64 `json:"durationMs,omitempty"`
	RemoteAddr string  `json:"remoteAddr,omitempty"`
}

// attrs returns e's non-empty fields as log attributes.
func (e *Event) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 12)
	a = append(a, slog.String("category", e.Category.String()))
	str := func(k, v string) {
		if v != "" {
			a = append(a, slog.String(k, v))
		}
	}
	str("hub", e.Hub)
	str("connectionId", e.ConnectionID)
	str("userId", e.UserID)
	if e.Diagnostic {
		a = append(a, slog.Bool("diagnostic", true))
	}
	str("transport", e.Transport)
	str("protocol", e.Protocol)
	str("reason", e.Reason)
	str("reasonLabel", e.ReasonLabel)
	str("messageTracingId", e.TraceID)
	str("scope", e.Scope)
	str("target", e.Target)
	str("method", e.Method)
	str("httpMethod", e.HTTPMethod)
	str("path", e.Path)
	if e.Status != 0 {
		a = append(a, slog.Int("status", e.Status))
	}
	if e.DurationMS != 0 {
		a = append(a, slog.Float64("durationMs", e.DurationMS))
	}
	str("remoteAddr", e.RemoteAddr)
	return a
}

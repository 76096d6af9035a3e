package diag

import (
	"fmt"
	"log/slog"
	"strconv"
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

// Event names: the record's operationName (and slog message) and the live
// trace's event kind. docs/diagnostics.md lists each with its fields.
const (
	// ConnectionStarted: a connection completed its handshake.
	ConnectionStarted = "ConnectionStarted"
	// ConnectionEnded: the client closed its connection.
	ConnectionEnded = "ConnectionEnded"
	// ConnectionAborted: the service ended the connection; Reason says why.
	ConnectionAborted = "ConnectionAborted"
	// ConnectionDetached: a stateful connection's socket dropped without a
	// close; the connection waits for its client to reconnect. Messages
	// is the count of messages kept unacknowledged.
	ConnectionDetached = "ConnectionDetached"
	// ConnectionResumed: a stateful connection's client reconnected;
	// Messages is the count of messages sent again.
	ConnectionResumed = "ConnectionResumed"
	// ReconnectWindowExpired: a detached stateful connection's client did
	// not reconnect in time; the connection ends.
	ReconnectWindowExpired = "ReconnectWindowExpired"
	// ReconnectBufferFull: a stateful connection left more messages
	// unacknowledged than its buffer holds (Messages); it is closed.
	ReconnectBufferFull = "ReconnectBufferFull"
	// ConnectionTakenOver: this node took a stateful connection over from
	// another node (its client reconnected here); Messages is the count
	// of messages it received unacknowledged from the old node.
	ConnectionTakenOver = "ConnectionTakenOver"
	// ConnectionHandedOver: another node took this node's stateful
	// connection over; it goes on there; Messages is the count of messages
	// sent to it unacknowledged.
	ConnectionHandedOver = "ConnectionHandedOver"
	// MessageReceived: the REST API took a message, or a client connection
	// sent an invocation for the upstream; TraceID identifies it.
	MessageReceived = "MessageReceived"
	// MessageDelivered: a message was queued to a connection.
	MessageDelivered = "MessageDelivered"
	// MessageDropped: a message could not be queued to a connection (it was
	// closing, or its queue overflowed).
	MessageDropped = "MessageDropped"
	// UpstreamDelivered: the upstream function accepted a client's
	// invocation (a 2xx answer).
	UpstreamDelivered = "UpstreamDelivered"
	// UpstreamAnswered: the function's answer to a blocking invocation was
	// queued to the client as its completion.
	UpstreamAnswered = "UpstreamAnswered"
	// UpstreamFailed: a client's invocation did not reach the function, or
	// the function failed it; Status and Reason say how.
	UpstreamFailed = "UpstreamFailed"
	// GroupJoined: the REST API added a connection or a user to a group.
	GroupJoined = "GroupJoined"
	// GroupLeft: the REST API removed a connection or a user from a group
	// (or from every group).
	GroupLeft = "GroupLeft"
	// HTTPRequest: an HTTP request was answered.
	HTTPRequest = "HttpRequest"
)

// ConnectionTypeClient is the connectionType of records about a client
// connection (Azure also has "Server"; a Serverless service has none).
const ConnectionTypeClient = "Client"

// Event is one diagnostics event. Empty fields are left out of logs and of
// the live trace's JSON. The JSON names are Azure SignalR's resource log
// field names where Azure has the field (docs/diagnostics.md).
type Event struct {
	Time     time.Time `json:"time"`
	Category Category  `json:"category"`
	Name     string    `json:"operationName"`
	Node     string    `json:"node,omitempty"`
	// Message is the human-readable sentence of the record; Emit writes it
	// from the other fields when it is empty.
	Message string `json:"message,omitempty"`

	Hub          string `json:"hubName,omitempty"`
	ConnectionID string `json:"connectionId,omitempty"`
	UserID       string `json:"userId,omitempty"`
	Diagnostic   bool   `json:"diagnostic,omitempty"`
	Transport    string `json:"transportType,omitempty"`
	Protocol     string `json:"protocol,omitempty"`
	// Reason is why a connection ended (the text the client saw) or an
	// upstream call failed; it is part of Message. ReasonLabel is its short
	// form (gateway close labels).
	Reason      string `json:"-"`
	ReasonLabel string `json:"reasonLabel,omitempty"`

	// TraceID is the message tracing id (the REST response's
	// X-Herald-Trace-Id header).
	TraceID string `json:"messageTracingId,omitempty"`
	// Scope and Target say whom a REST message addressed (all, user,
	// group, connection; the user, group or connection id) and Method the
	// client method it invokes (or the hub method a client invoked).
	Scope  string `json:"scope,omitempty"`
	Target string `json:"target,omitempty"`
	Method string `json:"method,omitempty"`
	// Group is the group of a GroupJoined or GroupLeft event.
	Group string `json:"groupName,omitempty"`

	HTTPMethod string  `json:"httpMethod,omitempty"`
	Path       string  `json:"path,omitempty"`
	Status     int     `json:"status,omitempty"`
	DurationMS float64 `json:"durationMs,omitempty"`
	// RemoteAddr is the caller's IP address (no port).
	RemoteAddr string `json:"callerIpAddress,omitempty"`
	// Messages counts the messages a stateful reconnect event is about
	// (kept, sent again).
	Messages int `json:"messageCount,omitempty"`
}

// collection is Azure's collection of e: Connection or Message.
func (e *Event) collection() string {
	switch e.Category {
	case Connectivity:
		return "Connection"
	case Messaging:
		return "Message"
	}
	return ""
}

// messageType is Azure's messageType of a message event: the kind of
// message the service moved.
func (e *Event) messageType() string {
	switch e.Name {
	case GroupJoined:
		return "JoinGroupWithAckMessage"
	case GroupLeft:
		return "LeaveGroupWithAckMessage"
	}
	switch e.Scope {
	case "all":
		return "BroadcastDataMessage"
	case "connection":
		return "MultiConnectionDataMessage"
	case "user":
		return "UserDataMessage"
	case "group":
		return "GroupBroadcastDataMessage"
	case "client":
		return "InvocationMessage"
	}
	return ""
}

// defaultMessage writes e's sentence from its fields.
func (e *Event) defaultMessage() string {
	because := ""
	if e.Reason != "" {
		because = " Reason: " + e.Reason
	}
	switch e.Name {
	case ConnectionStarted:
		return "Connection started."
	case ConnectionEnded:
		return "Connection ended." + because
	case ConnectionAborted:
		return "Connection aborted." + because
	case ConnectionDetached:
		return "Connection lost its socket; waiting for the client to reconnect with " + strconv.Itoa(e.Messages) + " messages kept."
	case ConnectionResumed:
		return "Connection resumed; " + strconv.Itoa(e.Messages) + " messages sent again."
	case ReconnectWindowExpired:
		return "The client did not reconnect within the reconnect window."
	case ReconnectBufferFull:
		return "Too many messages unacknowledged (" + strconv.Itoa(e.Messages) + "); closing the connection."
	case ConnectionTakenOver:
		return "Connection taken over from another node with " + strconv.Itoa(e.Messages) + " messages unacknowledged."
	case ConnectionHandedOver:
		return "Connection handed over to another node with " + strconv.Itoa(e.Messages) + " messages unacknowledged."
	case MessageReceived:
		if e.Scope == "client" {
			return "Received a message from the client connection."
		}
		return "Received a message from the REST API."
	case MessageDelivered:
		return "Queued a message to the connection."
	case MessageDropped:
		return "Dropped a message for the connection." + because
	case UpstreamDelivered:
		return "Delivered the message to the upstream."
	case UpstreamAnswered:
		return "Sent the upstream's answer to the client connection."
	case UpstreamFailed:
		return "The upstream call failed." + because
	case GroupJoined:
		return "Added to the group."
	case GroupLeft:
		return "Removed from the group."
	case HTTPRequest:
		return e.HTTPMethod + " " + e.Path + " " + strconv.Itoa(e.Status)
	}
	return e.Reason
}

// attrs returns e's non-empty fields as log attributes.
func (e *Event) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 16)
	a = append(a, slog.String("operationName", e.Name), slog.String("category", e.Category.String()))
	str := func(k, v string) {
		if v != "" {
			a = append(a, slog.String(k, v))
		}
	}
	str("collection", e.collection())
	str("message", e.Message)
	str("hubName", e.Hub)
	if e.ConnectionID != "" {
		a = append(a, slog.String("connectionId", e.ConnectionID), slog.String("connectionType", ConnectionTypeClient))
	}
	str("userId", e.UserID)
	if e.Diagnostic {
		a = append(a, slog.Bool("diagnostic", true))
	}
	str("transportType", e.Transport)
	str("protocol", e.Protocol)
	str("reasonLabel", e.ReasonLabel)
	str("messageTracingId", e.TraceID)
	str("messageType", e.messageType())
	str("groupName", e.Group)
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
	str("callerIpAddress", e.RemoteAddr)
	if e.Messages != 0 {
		a = append(a, slog.Int("messageCount", e.Messages))
	}
	return a
}

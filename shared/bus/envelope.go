package bus

import "encoding/json"

// Kind says what an envelope asks subscribers to do.
type Kind uint8

// Envelope kinds.
const (
	// KindSend delivers Message to the connections chosen by Scope and ID.
	KindSend Kind = iota + 1
	// KindClose closes the connections chosen by Scope and ID with Reason.
	KindClose
	// KindAddToGroup adds connection ID (Scope Connection) or every
	// connection of user ID (Scope User) to Group.
	KindAddToGroup
	// KindRemoveFromGroup removes connection ID or user ID's connections
	// from Group.
	KindRemoveFromGroup
	// KindRemoveFromAllGroups removes connection ID or user ID's
	// connections from every group.
	KindRemoveFromAllGroups
	// KindHandover says that connection ID (Scope Connection) moved to the
	// node that ran Handover.TakeOver with Taker: see Handover. Only
	// TakeOver delivers it.
	KindHandover
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case KindSend:
		return "send"
	case KindClose:
		return "close"
	case KindAddToGroup:
		return "add-to-group"
	case KindRemoveFromGroup:
		return "remove-from-group"
	case KindRemoveFromAllGroups:
		return "remove-from-all-groups"
	case KindHandover:
		return "handover"
	}
	return "unknown"
}

// Scope says which connections of a hub an envelope addresses.
type Scope uint8

// Scopes.
const (
	// ScopeAll addresses every connection of the hub.
	ScopeAll Scope = iota + 1
	// ScopeConnection addresses the connection whose id is Envelope.ID.
	ScopeConnection
	// ScopeUser addresses every connection of user Envelope.ID.
	ScopeUser
	// ScopeGroup addresses every connection in group Envelope.ID.
	ScopeGroup
)

// String names the scope for logs.
func (s Scope) String() string {
	switch s {
	case ScopeAll:
		return "all"
	case ScopeConnection:
		return "connection"
	case ScopeUser:
		return "user"
	case ScopeGroup:
		return "group"
	}
	return "unknown"
}

// Message is a hub method invocation for clients. Usually it is
// protocol-neutral (Target and Arguments) and each gateway encodes it once
// per hub protocol; a message with Framed was encoded by the sender and is
// forwarded as is.
type Message struct {
	// Target is the client method name.
	Target string `json:"t"`
	// Arguments is a JSON array (never null once published), or empty
	// when Framed is set.
	Arguments json.RawMessage `json:"a,omitempty"`
	// Framed, when not nil, holds the invocation already encoded by the
	// sender (the Management SDK's binary payload); gateways write its
	// records byte for byte and ignore Arguments.
	Framed *Framed `json:"f,omitempty"`
}

// Framed is one invocation pre-encoded per hub protocol. A nil record means
// the sender did not encode the message for that protocol: its clients
// receive nothing.
type Framed struct {
	// JSON is one complete JSON hub protocol record, ending in the record
	// separator 0x1E.
	JSON []byte `json:"j,omitempty"`
	// MessagePack is one complete MessagePack record with its VarInt
	// length prefix.
	MessagePack []byte `json:"m,omitempty"`
}

// Envelope is one unit of work travelling from the functions to gateways.
type Envelope struct {
	Kind  Kind   `json:"k"`
	Hub   string `json:"h"`
	Scope Scope  `json:"s"`
	// ID is the connection id, user id or group name chosen by Scope.
	ID string `json:"i,omitempty"`
	// Group is the group of a membership change.
	Group string `json:"g,omitempty"`
	// Excluded lists connection ids that must not receive a send or close.
	Excluded []string `json:"x,omitempty"`
	// Message is the payload of a send.
	Message *Message `json:"m,omitempty"`
	// Reason is the close reason shown to clients.
	Reason string `json:"r,omitempty"`
	// TraceID identifies the REST request that produced the envelope.
	TraceID string `json:"tr,omitempty"`
	// Taker identifies the takeover a KindHandover envelope reports (the
	// value the taking node passed to Handover.TakeOver).
	Taker string `json:"tk,omitempty"`
}

// IsExcluded reports whether connID is in e.Excluded.
func (e *Envelope) IsExcluded(connID string) bool {
	for _, x := range e.Excluded {
		if x == connID {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of e that shares no memory with it, so a Handler
// can retain an envelope past its return. Clone of nil is nil.
func (e *Envelope) Clone() *Envelope {
	if e == nil {
		return nil
	}
	c := *e
	if e.Excluded != nil {
		c.Excluded = append([]string(nil), e.Excluded...)
	}
	if e.Message != nil {
		m := *e.Message
		if m.Arguments != nil {
			m.Arguments = append(json.RawMessage(nil), m.Arguments...)
		}
		if m.Framed != nil {
			m.Framed = &Framed{JSON: clone(m.Framed.JSON), MessagePack: clone(m.Framed.MessagePack)}
		}
		c.Message = &m
	}
	return &c
}

// clone copies b; nil stays nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

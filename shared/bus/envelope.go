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

// Message is a hub method invocation for clients, protocol-neutral: each
// gateway encodes it once per hub protocol.
type Message struct {
	// Target is the client method name.
	Target string `json:"t"`
	// Arguments is a JSON array (never null once published).
	Arguments json.RawMessage `json:"a"`
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
		c.Message = &m
	}
	return &c
}

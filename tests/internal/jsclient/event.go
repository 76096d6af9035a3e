package jsclient

import (
	"encoding/json"
	"fmt"
)

// Event kinds reported by the driver. Event.Kind holds one of these.
const (
	// KindReady is sent once when the driver has loaded the client library.
	KindReady = "ready"
	// KindConnected is sent when HubConnection.start resolved; ConnectionID is set.
	KindConnected = "connected"
	// KindMessage is sent when the server called a registered client method; Target and Args are set.
	KindMessage = "message"
	// KindClosed is sent from HubConnection.onclose; Error is the close error or nil.
	KindClosed = "closed"
	// KindReconnecting is sent from HubConnection.onreconnecting; Error may be set.
	KindReconnecting = "reconnecting"
	// KindReconnected is sent from HubConnection.onreconnected; ConnectionID is the new id.
	KindReconnected = "reconnected"
	// KindResult is sent when an invoke resolved; ID and Result are set.
	KindResult = "result"
	// KindError is sent when a command failed; Op, Message and (for invoke and send) ID are set.
	KindError = "error"
	// KindSent is sent when a send resolved, i.e. the message left the client; ID is set.
	KindSent = "sent"
	// KindStopped is sent when a stop command finished.
	KindStopped = "stopped"
	// KindLog carries a client log line at Warning or above; Level and Message are set.
	KindLog = "log"
	// KindItem is sent for each stream item; ID and Item are set.
	KindItem = "item"
	// KindStreamEnd is sent when a stream completed (Error nil) or failed; ID is set.
	KindStreamEnd = "streamEnd"
	// KindInvoked is sent when a client result handler ran; Target and Args are set.
	KindInvoked = "invoked"
	// KindInvalid marks a stdout line of the driver that was not a JSON object (a driver bug).
	KindInvalid = "invalid"
)

// Event is one line the driver wrote to stdout. Fields not used by a kind are zero.
type Event struct {
	// Kind is the event kind, one of the Kind* constants.
	Kind string `json:"event"`
	// Name is the name of the connection given to Connect.
	Name string `json:"name"`
	// ConnectionID is HubConnection.connectionId (connected, reconnected).
	ConnectionID string `json:"connectionId"`
	// Target is the client method the server called (message).
	Target string `json:"target"`
	// Args are the arguments of the server's call, one raw JSON value each (message).
	Args []json.RawMessage `json:"args"`
	// ID is the id given to Invoke or Send (result, error, sent).
	ID string `json:"id"`
	// Item is the raw JSON value of a stream item (item).
	Item json.RawMessage `json:"item"`
	// Result is the raw JSON completion value of an invoke; "null" when void (result).
	Result json.RawMessage `json:"result"`
	// Error is the error the connection closed with; nil for a clean close (closed, reconnecting).
	Error *string `json:"error"`
	// Op is the command that failed: connect, invoke, send, stop, parse or internal (error).
	Op string `json:"op"`
	// Message is the error or log text (error, log, invalid).
	Message string `json:"message"`
	// Level is the client log level name, e.g. "Warning" or "Error" (log).
	Level string `json:"level"`
	// SignalRVersion is the VERSION the client library reports (ready).
	SignalRVersion string `json:"signalrVersion"`
	// MsgpackVersion is the VERSION the MessagePack protocol package reports (ready).
	MsgpackVersion string `json:"msgpackVersion"`
	// Raw is the line exactly as the driver wrote it.
	Raw string `json:"-"`
}

// String returns the raw line of the event.
func (e Event) String() string { return e.Raw }

// Arg decodes argument i of a message event into v.
func (e Event) Arg(i int, v any) error {
	if i < 0 || i >= len(e.Args) {
		return fmt.Errorf("jsclient: event %s has %d args, want index %d", e.Raw, len(e.Args), i)
	}
	if err := json.Unmarshal(e.Args[i], v); err != nil {
		return fmt.Errorf("jsclient: decode arg %d of %s: %w", i, e.Raw, err)
	}
	return nil
}

// ErrorText returns *Error, or "" when Error is nil.
func (e Event) ErrorText() string {
	if e.Error == nil {
		return ""
	}
	return *e.Error
}

// Is reports whether the event has the given connection name and kind.
func Is(name, kind string) func(Event) bool {
	return func(e Event) bool { return e.Name == name && e.Kind == kind }
}

// IsMessage reports whether the event is a message for connection name and client method target.
func IsMessage(name, target string) func(Event) bool {
	return func(e Event) bool { return e.Name == name && e.Kind == KindMessage && e.Target == target }
}

// IsReply reports whether the event answers the invoke or send with the given id
// (a result, sent or error event carrying that id).
func IsReply(name, id string) func(Event) bool {
	return func(e Event) bool {
		return e.Name == name && e.ID == id && (e.Kind == KindResult || e.Kind == KindSent || e.Kind == KindError)
	}
}

package hubproto

import (
	"encoding/json"
	"strconv"
)

// RecordSeparator (ASCII RS, 0x1E) ends every JSON record and every handshake.
const RecordSeparator byte = 0x1E

// MessageType is the value of a hub message's "type" property.
type MessageType int

// The hub message types of HubProtocol.md. Types 8 and 9 exist only on
// connections that negotiated stateful reconnect.
const (
	TypeInvocation       MessageType = 1 // call a method; no InvocationID means no reply is expected
	TypeStreamItem       MessageType = 2 // one item of a stream
	TypeCompletion       MessageType = 3 // end of an invocation or stream: result, error or neither
	TypeStreamInvocation MessageType = 4 // call a streaming method
	TypeCancelInvocation MessageType = 5 // cancel a stream or invocation
	TypePing             MessageType = 6 // keep-alive
	TypeClose            MessageType = 7 // the connection is closing
	TypeAck              MessageType = 8 // stateful reconnect: messages received up to SequenceID
	TypeSequence         MessageType = 9 // stateful reconnect: next SequenceID after a reconnect
)

var typeNames = [...]string{
	TypeInvocation:       "Invocation",
	TypeStreamItem:       "StreamItem",
	TypeCompletion:       "Completion",
	TypeStreamInvocation: "StreamInvocation",
	TypeCancelInvocation: "CancelInvocation",
	TypePing:             "Ping",
	TypeClose:            "Close",
	TypeAck:              "Ack",
	TypeSequence:         "Sequence",
}

// String returns the protocol name of t ("Invocation", "Ping", ...), or
// "MessageType(n)" for a type this package does not know.
func (t MessageType) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Known reports whether t is one of the nine types of HubProtocol.md. Peers
// ignore messages of other types.
func (t MessageType) Known() bool {
	return t >= TypeInvocation && t <= TypeSequence
}

// Message is any hub message; fields not used by Type are zero.
//
// The value fields Arguments, Item and Result hold values in the encoding of
// the codec that decoded the message, or that will encode it: JSON text for
// [JSON], MessagePack bytes for [MessagePack]. Each holds exactly one value as
// it appeared on the wire; convert between the encodings with JSONToMsgpack
// and MsgpackToJSON. A decoded Message never aliases the buffer it was
// decoded from, but its value fields share memory with its Raw record, so
// treat all three as read-only.
type Message struct {
	// Type selects which of the other fields are meaningful.
	Type MessageType

	// InvocationID identifies the invocation (Invocation, StreamInvocation,
	// StreamItem, Completion, CancelInvocation). "" on an Invocation means
	// none: a non-blocking invocation that gets no reply.
	InvocationID string

	// Target is the method name of an Invocation or StreamInvocation.
	Target string

	// Arguments is the array of arguments of an Invocation or
	// StreamInvocation, in the codec's encoding: a JSON array for JSON, the
	// whole MessagePack array for MessagePack. Nil encodes as the empty
	// array.
	Arguments json.RawMessage

	// StreamIDs lists the upload streams of an Invocation or
	// StreamInvocation. Nil and empty are the same.
	StreamIDs []string

	// Headers are the message headers of the invocation-family types (1-5).
	// Nil and empty are the same.
	Headers map[string]string

	// Item is the value of a StreamItem, in the codec's encoding (JSON text
	// or MessagePack bytes). Nil encodes as null (nil).
	Item json.RawMessage

	// Result is the value a Completion returns when HasResult is true, in
	// the codec's encoding (a JSON "result": null, or a MessagePack nil
	// result, decodes as HasResult true and Result null or 0xC0).
	Result json.RawMessage

	// HasResult reports whether a Completion carries a result.
	HasResult bool

	// Error is the error text of a Completion or Close; "" means none.
	Error string

	// AllowReconnect tells a client receiving Close that it may reconnect.
	AllowReconnect bool

	// SequenceID is the sequence number of an Ack or Sequence.
	SequenceID int64

	// Raw is the whole record the message was decoded from, without its
	// framing: the JSON object without the trailing RecordSeparator, or the
	// MessagePack array without its length prefix. Decode sets it, for
	// callers that forward a message byte for byte; Append ignores it.
	Raw []byte
}

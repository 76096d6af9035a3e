// Package hubproto is the SignalR hub protocol as Herald speaks it on the
// wire: the handshake, the hub messages in their JSON and MessagePack
// encodings, the conversion of values between the two, and the JSON bodies of
// the negotiate step. It does no I/O; transports hand it bytes and write the
// bytes it returns.
//
// The protocol is specified in the ASP.NET Core repository:
//
//   - HubProtocol.md: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md
//   - TransportProtocols.md: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/TransportProtocols.md
//
// and summarized for Herald in docs/compat/hub-protocol.md and
// docs/compat/negotiate.md.
//
// # Records
//
// Every JSON message, and the handshake of every protocol, is one JSON object
// followed by [RecordSeparator] (0x1E). Every MessagePack message is one
// MessagePack array preceded by its length as a VarInt (7 bits a byte, least
// significant group first, at most 5 bytes and [MaxMsgpackRecordSize]).
// Several records may share one WebSocket frame or HTTP body, and a record
// may be split across reads: [Codec.Decode] returns the complete records and
// the incomplete tail, which the caller keeps and prepends to the next read.
// The package sets no size limits of its own; callers bound their buffers and
// report [ErrMessageTooLarge] ([MsgpackRecordSize] tells the size of a
// pending MessagePack record before it has arrived).
//
// # Validation
//
// JSON decoding follows HubProtocol.md and the ASP.NET Core JSON protocol:
// property names are case-sensitive and may come in any order (the JavaScript
// client writes "type" last), unknown properties are ignored, known
// properties must have their documented JSON types, and each message type's
// required properties must be present. Records must be valid UTF-8, since
// they may be relayed in WebSocket text frames.
//
// MessagePack decoding follows the ASP.NET Core MessagePack protocol: each
// message type has a minimum number of elements, elements a later protocol
// version may append are skipped (but must be valid MessagePack), integers
// may use any width, the protocol's own strings (IDs, target, headers, error)
// must be valid UTF-8, and a record holds exactly one array. Values inside
// arguments, items and results are checked to be well-formed MessagePack and
// are otherwise passed through untouched, extension types (such as the
// timestamps .NET and JavaScript clients send) included.
//
// In both encodings messages of unknown types decode with only their Type
// (and Raw) set, for callers to ignore.
//
// # Values
//
// A [Message] holds its values (Arguments, Item, Result) in the encoding of
// its codec. [JSONToMsgpack] converts the JSON arguments of a REST send for
// MessagePack clients, and [MsgpackToJSON] converts the other way for logs
// and upstream requests. [ParsePayloadMap] reads the Management SDK's
// pre-encoded application/octet-stream payload, whose entries are forwarded
// byte for byte.
//
// # Ownership
//
// Decoded messages never alias the input: Raw is a copy of the record,
// strings are copies, and the value fields are capped subslices of Raw, so
// the caller may reuse its read buffer. Only the returned rest slices alias
// the input.
//
// # Encoding
//
// [Codec.Append] encodes any [Message] with validation. The AppendJSON* and
// AppendMsgpack* functions are unvalidated fast paths for the frames a
// server writes most: invocations, pings, closes and completions.
package hubproto

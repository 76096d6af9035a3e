// Package hubproto is the SignalR hub protocol as Herald speaks it on the
// wire: the handshake, the hub messages in their JSON encoding, and the JSON
// bodies of the negotiate step. It does no I/O; transports hand it bytes and
// write the bytes it returns.
//
// The protocol is specified in the ASP.NET Core repository:
//
//   - HubProtocol.md: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md
//   - TransportProtocols.md: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/TransportProtocols.md
//
// and summarized for Herald in azure-signalr-protocol.md §2 and §4.
//
// # Records
//
// Every JSON message, and the handshake of every protocol, is one JSON object
// followed by [RecordSeparator] (0x1E). Several records may share one
// WebSocket frame or HTTP body, and a record may be split across reads:
// [Codec.Decode] returns the complete records and the incomplete tail, which
// the caller keeps and prepends to the next read. The separator cannot occur
// inside a JSON record, so a caller holding an incomplete record need not
// decode again until a read brings a separator. The package sets no size
// limits; callers bound their buffers and report [ErrMessageTooLarge].
//
// # Validation
//
// Decoding follows HubProtocol.md and the ASP.NET Core JSON protocol: property
// names are case-sensitive and may come in any order (the JavaScript client
// writes "type" last), unknown properties are ignored, known properties must
// have their documented JSON types, and each message type's required
// properties must be present. Records must be valid UTF-8, since they may be
// relayed in WebSocket text frames. Messages of unknown types decode with
// only their Type set, for callers to ignore.
//
// # Ownership
//
// Decoded messages never alias the input: strings and raw JSON values
// (Arguments, Item, Result) are copies, so the caller may reuse its read
// buffer. Only the returned rest slices alias the input.
//
// # Encoding
//
// [Codec.Append] encodes any [Message] with validation. The AppendJSON*
// functions are unvalidated fast paths for the frames a server writes most:
// invocations, pings, closes and completions.
package hubproto

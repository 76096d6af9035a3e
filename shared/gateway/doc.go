// Package gateway is Herald's client-facing SignalR server: the service side
// of the negotiate redirect (POST /client/negotiate), the WebSocket,
// Server-Sent Events and Long Polling transports at /client/, and the hub
// protocol on every connection.
//
// A Server holds client connections in a local index (by hub, connection,
// user and group) and applies the envelopes it receives from the bus:
// a send is encoded once per hub protocol into a ready-to-write WebSocket
// frame, and the same bytes are queued to every recipient. Every connection
// has a bounded queue. A fixed set of flush workers (one per CPU, each
// owning a shard of the connections) writes what is queued for a WebSocket
// connection with one non-blocking write, so the frames of a burst share a
// system call; when the socket would block, a writer goroutine of the
// connection's own takes over. A client that stops reading is closed once
// its queue fills and never slows the others. Server-Sent
// Events and Long Polling connections share that queue; their request
// goroutine (the event stream, the pending poll) writes the frames' payloads
// instead of a writer goroutine. Their requests may land on any node: a node
// forwards those for connections it does not hold to the owner's
// Config.InternalURL, found through the bus (bus.Locator).
//
// Every connection, whatever its transport, goes through one lifecycle
// (lifecycle.go): admission, registration, start after the handshake, and
// teardown, each written once. Who writes to a connection at any moment,
// and how far its close has got, is one explicit state with a documented
// transition table (writestate.go). Calls to the bus are bounded by
// Config.BusTimeout, never by a client socket's timeouts.
//
// A stateful connection (stateful reconnect, resume.go) whose client
// reconnects through another node is taken over by that node, with the bus
// as the arbiter of ownership and of the point in the hub's stream where
// ownership changes: handover.go has the design and how each race ends; a
// drain relies on it to lose nothing (drain.go).
//
// Reading costs memory and CPU in proportion to the bytes a client actually
// sent, never to lengths or counts it declares: a frame's payload is read
// into a buffer that grows with what arrives (wsread.go), the pending bytes
// of a connection are searched for complete records once (inbox.go), and
// the hub protocol decoders size nothing from declared counts (package
// hubproto). tests/attack_readpath_test.go holds the attacks this answers.
//
// Wire facts: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md
// and TransportProtocols.md in the same folder; Azure specifics in
// docs/compat/transports.md, docs/compat/negotiate.md and docs/decisions.md.
package gateway

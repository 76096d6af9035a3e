// Package gateway is Herald's client-facing SignalR server: the service side
// of the negotiate redirect (POST /client/negotiate), the WebSocket,
// Server-Sent Events and Long Polling transports at /client/, and the hub
// protocol on every connection.
//
// A Server holds client connections in a local index (by hub, connection,
// user and group) and applies the envelopes it receives from the bus:
// a send is encoded once per hub protocol into a ready-to-write WebSocket
// frame, and the same bytes are queued to every recipient. Every connection
// has a bounded queue and one writer goroutine; a client that stops reading
// is closed once its queue fills and never slows the others. Server-Sent
// Events and Long Polling connections share that queue; their request
// goroutine (the event stream, the pending poll) writes the frames' payloads
// instead of a writer goroutine. Their requests may land on any node: a node
// forwards those for connections it does not hold to the owner's
// Config.InternalURL, found through the bus (bus.Locator).
//
// Wire facts: https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md
// and TransportProtocols.md in the same folder; Azure specifics in the
// project's compatibility spec.
package gateway

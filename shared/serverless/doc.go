// Package serverless is for writing upstream functions in Go: the Go
// counterpart of the Azure Functions SignalR trigger and output bindings.
//
// Herald (like Azure SignalR Service in Serverless mode) posts connection
// events and client invocations to the application's HTTP endpoint, the
// "upstream" (see package upstream for the service side). ParseRequest
// verifies such a request (X-ASRS-Signature against every AccessKey) and
// decodes it into an InvocationContext: hub, category, event, connection id,
// user id, claims, client query and, for invocations, the arguments.
//
// Hub routes requests to handlers by event name, case-insensitively, and
// answers as the Functions trigger does: a handler's result becomes a
// framed Completion in the caller's protocol (JSON or MessagePack), which
// the service forwards to the client verbatim; a handler error becomes an
// error Completion. WriteResult and WriteError give the same answers to
// code that uses ParseRequest directly.
//
// Sender is the output binding: it calls the data-plane REST API with a
// token signed by the connection string's AccessKey, to send messages to
// all clients, a user, a group or a connection, and to change group
// membership. Message and GroupAction mirror the Functions binding types
// SignalRMessage and SignalRGroupAction.
//
// Everything is plain net/http: a Hub is an http.Handler that runs in an
// http.Server, in tests, or behind a Lambda adapter. The wire format is
// described in docs/compat/upstream.md.
package serverless

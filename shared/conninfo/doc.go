// Package conninfo is the connection-info binding: what the Azure Functions
// SignalRConnectionInfo input binding and the Management SDK's NegotiateAsync
// return to a client calling an application's negotiate endpoint.
//
// An [Info] is the JSON body {"url": ..., "accessToken": ...} that redirects
// a SignalR client from the application to the service. A [Binding] builds it
// from a connection string exactly as the Azure SDK does: the URL is
// ClientBase + "client/?hub=" + hub key and the token's audience is
// AudienceBase + "client/?hub=" + hub key (no port), signed with the
// AccessKey. Herald's own app negotiate handler uses it, and so can anyone
// writing a negotiate function in Go.
//
// The rules are described in docs/compat/negotiate.md#app-negotiate,
// docs/compat/connection-string.md#derived-urls and docs/compat/tokens.md.
package conninfo

// Package httpapi serves Herald's HTTP surface that applications talk to:
// the Azure SignalR Service data-plane REST API ([NewREST]) and the
// app-facing negotiate endpoint ([NewNegotiate]) that stands in for the
// Azure Functions SignalRConnectionInfo binding.
//
// Both are plain [net/http.Handler]s, so the same code runs in the local
// emulator, in AWS Lambda behind an event adapter, and in tests.
//
// # REST API
//
// The route table ([Routes]) is the union of the 2022-06-01 routes under
// /api, the v1 routes under /api/v1, and the extra forms the Azure emulator
// maps under both prefixes (":send" suffixes, swapped path orders, GET and
// HEAD on every existence check), plus ":generateToken" and the health
// check. Every route except health needs a bearer token signed with an
// access key. Errors carry a JSON ErrorDetail body
// ({"code","message","target"}) and the same code in the x-ms-error-code
// header, which the Management SDK inspects to tell "does not exist" (404
// with the expected code) from failure. Every REST response carries a trace
// id in [TraceHeader]; the same id travels in the bus envelope.
//
// Messages are handed to the bus before the response is written: a 2xx
// means the bus accepted the work, and a bus that is down yields 503.
//
// See docs/compat/rest-api.md for the protocol details, and README.md in
// this directory for the choices made where Azure's behaviour is not
// documented.
package httpapi

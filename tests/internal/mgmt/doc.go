// Package mgmt is a test-only REST client that calls the data-plane API exactly the way the
// Azure SignalR Management SDK does with api-version 2022-06-01 (Microsoft.Azure.SignalR.Management
// RestApiProvider + RestClient), so end-to-end tests exercise what real SDK users send:
//
//   - URL: ServerEndpoint + "api/hubs/" + escape(lower(hub)) + path + "?api-version=2022-06-01",
//     followed by extra query parameters (excluded=..., reason=...), every segment and value
//     escaped like .NET Uri.EscapeDataString;
//   - token: HS256 signed with the UTF-8 bytes of the AccessKey, header kid = a random
//     number, claims nameid = <host>_<uuid without dashes>, nbf = iat = now, exp = now + 1 h,
//     aud = "{scheme}://{host}/" (port dropped) + "api/hubs/" + hub + path + "?api-version=2022-06-01"
//     (no extra query parameters);
//   - send body: {"Target":...,"Arguments":[...]} (PascalCase), Content-Type
//     "application/json; charset=utf-8", chunked (no Content-Length).
//
// It signs tokens with golang-jwt directly so tests do not depend on Herald's token package.
// See docs/compat/tokens.md#audiences and docs/compat/rest-api.md.
package mgmt

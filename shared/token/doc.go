// Package token issues and verifies the JSON Web Tokens of Azure SignalR
// Service: client access tokens handed out by negotiate and the bearer tokens
// of the data-plane REST API. It is the only Herald package that imports
// golang-jwt.
//
// Tokens are HS256 (default) or HS512, signed with the UTF-8 bytes of an
// AccessKey exactly as written in the connection string. An [Issuer] mints
// them the way the Azure SDKs do (aud, iat = nbf = now, exp = now + 1h); a
// [Verifier] checks them against every configured key, pins the algorithm,
// requires exp (as Azure does) and checks it and nbf with a 5-minute
// leeway ([DefaultLeeway]), and applies the lenient audience rule of
// [Audience], needed because real SDK tokens drop the port and add query
// parameters to the URL they name, with the [Kind] rules that keep client
// tokens and REST tokens apart.
//
// [AppVerifier] authenticates callers of an application's own negotiate
// endpoint: [NewHMACAppVerifier] for a shared secret, [NewJWKSAppVerifier]
// for an identity provider publishing a JSON Web Key Set.
//
// Errors wrap the sentinels of this package ([ErrExpired], [ErrAudience], ...)
// so callers map them to HTTP statuses with errors.Is; golang-jwt's own
// errors are never exposed.
//
// The rules are described in docs/compat/tokens.md (signing, audiences,
// verification, user identity).
package token

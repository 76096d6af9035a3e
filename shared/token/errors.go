package token

import "errors"

// Sentinel errors. Every error returned by Verify and VerifyApp, and the
// size error of Issue, wraps one of them with detail in its text; compare
// with errors.Is. Configuration errors of the New functions wrap none. All
// but ErrKeySource mean the caller presented a bad token (HTTP 401);
// ErrKeySource means the verifier could not obtain keys (HTTP 503).
var (
	// ErrMissing means no token was presented.
	ErrMissing = errors.New("token: missing")
	// ErrMalformed means the token is not a well-formed JWT, or a claim has
	// the wrong type.
	ErrMalformed = errors.New("token: malformed")
	// ErrSignature means no configured key verifies the signature.
	ErrSignature = errors.New("token: invalid signature")
	// ErrExpired means exp is in the past, beyond the leeway.
	ErrExpired = errors.New("token: expired")
	// ErrNotYetValid means nbf is in the future, beyond the leeway.
	ErrNotYetValid = errors.New("token: not valid yet")
	// ErrAudience means aud is missing or names something else.
	ErrAudience = errors.New("token: invalid audience")
	// ErrTooLong means the token is longer than MaxLength.
	ErrTooLong = errors.New("token: too long")
	// ErrAlgorithm means the header's alg is missing or not allowed
	// ("none", RS256 where HMAC is expected, HS256 where only HS512 is
	// allowed, ...).
	ErrAlgorithm = errors.New("token: algorithm not allowed")
	// ErrIssuer means iss differs from the configured issuer (app tokens).
	ErrIssuer = errors.New("token: invalid issuer")
	// ErrMissingClaim means a required claim is absent (exp of app tokens).
	ErrMissingClaim = errors.New("token: required claim missing")
	// ErrKeySource means the verification keys could not be fetched (JWKS
	// endpoint down or invalid). It is not the caller's fault.
	ErrKeySource = errors.New("token: key source unavailable")
)

// MaxLength is the longest token, in bytes, that is issued or accepted: the
// Azure SDKs refuse to issue longer ones.
const MaxLength = 4096

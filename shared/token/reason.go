package token

import "errors"

// Reason labels: a bounded set naming why a token was refused, for logs
// and the herald_auth_refusals_total metric. Callers add their own labels
// for refusals that are not verification errors (ReasonScope, ...).
const (
	// ReasonMissing: no token was presented (ErrMissing).
	ReasonMissing = "missing"
	// ReasonMalformed: not a well-formed JWT (ErrMalformed).
	ReasonMalformed = "malformed"
	// ReasonSignature: no key verifies the signature (ErrSignature).
	ReasonSignature = "signature"
	// ReasonExpired: exp has passed (ErrExpired).
	ReasonExpired = "expired"
	// ReasonNotYetValid: nbf is in the future (ErrNotYetValid).
	ReasonNotYetValid = "not_yet_valid"
	// ReasonAudience: aud names another URL, hub or application (ErrAudience).
	ReasonAudience = "audience"
	// ReasonTooLong: longer than MaxLength (ErrTooLong).
	ReasonTooLong = "too_long"
	// ReasonAlgorithm: alg not allowed (ErrAlgorithm).
	ReasonAlgorithm = "algorithm"
	// ReasonIssuer: iss not accepted (ErrIssuer).
	ReasonIssuer = "issuer"
	// ReasonNoExp: a required claim, exp, is absent (ErrMissingClaim).
	ReasonNoExp = "no_exp"
	// ReasonKeySource: the keys could not be fetched (ErrKeySource).
	ReasonKeySource = "key_source"
	// ReasonWrongKind: a client token where a REST token is needed.
	ReasonWrongKind = "wrong_kind"
	// ReasonScope: an app token whose herald.hubs or herald.applications
	// claim does not allow the request.
	ReasonScope = "scope"
	// ReasonUserTooLong: the token's user id is over 1,024 characters.
	ReasonUserTooLong = "user_too_long"
)

// Reason returns the reason label of a verification error (one of the
// Reason constants; ReasonMalformed for errors wrapping no sentinel).
func Reason(err error) string {
	for _, r := range [...]struct {
		err   error
		label string
	}{
		{ErrMissing, ReasonMissing},
		{ErrTooLong, ReasonTooLong},
		{ErrKeySource, ReasonKeySource},
		{ErrAlgorithm, ReasonAlgorithm},
		{ErrSignature, ReasonSignature},
		{ErrMissingClaim, ReasonNoExp},
		{ErrExpired, ReasonExpired},
		{ErrNotYetValid, ReasonNotYetValid},
		{ErrIssuer, ReasonIssuer},
		{ErrAudience, ReasonAudience},
		{ErrMalformed, ReasonMalformed},
	} {
		if errors.Is(err, r.err) {
			return r.label
		}
	}
	return ReasonMalformed
}

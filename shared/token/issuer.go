package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLifetime is the lifetime of issued tokens when none is configured:
// one hour, as in the Azure SDKs.
const DefaultLifetime = time.Hour

// reserved are claim names the Issuer sets itself or that JWT handlers treat
// specially; a caller's claim with one of these names is renamed
// "asrs.u.<name>", as the Azure SDK does.
var reserved = map[string]bool{
	"aud": true, "exp": true, "iat": true, "nbf": true, "iss": true,
	"actort": true, "acr": true, "azp": true, "c_hash": true, "jti": true, "nonce": true,
}

// ReservedPrefix is prepended to a caller's claim whose name is reserved.
const ReservedPrefix = "asrs.u."

// IssuerConfig configures an [Issuer].
type IssuerConfig struct {
	// Key is the AccessKey. The signing key is its UTF-8 bytes as written
	// (not base64-decoded). Required.
	Key string
	// Algorithm is "HS256" or "HS512"; "" means HS256.
	Algorithm string
	// Lifetime is the default token lifetime; zero or negative means
	// DefaultLifetime (1h).
	Lifetime time.Duration
	// Now returns the current time; nil means time.Now. Set it in tests.
	Now func() time.Time
}

// Issuer signs access tokens with one AccessKey. It is safe for concurrent
// use.
type Issuer struct {
	key      []byte
	method   jwt.SigningMethod
	head     string // the encoded header segment and its "."
	macs     *KeyedMACs
	lifetime time.Duration
	now      func() time.Time
}

// NewIssuer returns an Issuer for cfg. It fails when Key is empty or
// Algorithm is not HS256 or HS512.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if cfg.Key == "" {
		return nil, errors.New("token: issuer: empty key")
	}
	method, err := hmacMethod(cfg.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("token: issuer: %w", err)
	}
	i := &Issuer{key: []byte(cfg.Key), method: method, head: headerSegment(method), lifetime: cfg.Lifetime, now: cfg.Now,
		macs: NewKeyedMACs(hmacHash(method.Alg()), []byte(cfg.Key))}
	if i.lifetime <= 0 {
		i.lifetime = DefaultLifetime
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i, nil
}

// Issue returns a signed token carrying claims plus aud = audience,
// iat = nbf = now and exp = now + lifetime (the Issuer's lifetime when
// lifetime <= 0). The header is {"alg":..., "typ":"JWT"}.
//
// A caller's claim named aud, exp, iat, nbf, iss, actort, acr, azp, c_hash,
// jti or nonce is renamed "asrs.u.<name>" so that it cannot change the
// token's meaning; other claims are copied as given and must marshal to
// JSON. A token longer than MaxLength is not returned: the error wraps
// ErrTooLong and states both lengths.
func (i *Issuer) Issue(audience string, claims map[string]any, lifetime time.Duration) (string, error) {
	if audience == "" {
		return "", errors.New("token: issue: empty audience")
	}
	if lifetime <= 0 {
		lifetime = i.lifetime
	}
	now := i.now()
	if signed, ok := i.issueFlat(audience, claims, now, lifetime); ok {
		return lengthChecked(signed)
	}
	payload := make(jwt.MapClaims, len(claims)+4)
	for name, v := range claims {
		if reserved[name] {
			name = ReservedPrefix + name
		}
		payload[name] = v
	}
	payload["aud"] = audience
	payload["iat"] = now.Unix()
	payload["nbf"] = now.Unix()
	payload["exp"] = now.Add(lifetime).Unix()

	signed, err := jwt.NewWithClaims(i.method, payload).SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("token: issue: %v", err)
	}
	return lengthChecked(signed)
}

// lengthChecked returns signed, or an error for a token longer than
// MaxLength.
func lengthChecked(signed string) (string, error) {
	if len(signed) > MaxLength {
		return "", fmt.Errorf("%w: %d characters, limit %d", ErrTooLong, len(signed), MaxLength)
	}
	return signed, nil
}

// hmacMethod resolves an HMAC algorithm name; "" means HS256.
func hmacMethod(alg string) (jwt.SigningMethod, error) {
	switch alg {
	case "", "HS256":
		return jwt.SigningMethodHS256, nil
	case "HS512":
		return jwt.SigningMethodHS512, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %q (want HS256 or HS512)", alg)
}

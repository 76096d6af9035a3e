package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// header is the part of a JOSE header read before verification.
type header struct {
	Alg string
	Kid string
}

// precheck runs the checks done before any cryptography: presence, length,
// shape and the header's alg against allowed. It returns the header.
func precheck(raw string, allowed []string) (header, error) {
	if raw == "" {
		return header{}, ErrMissing
	}
	if len(raw) > MaxLength {
		return header{}, fmt.Errorf("%w: %d characters, limit %d", ErrTooLong, len(raw), MaxLength)
	}
	if strings.Count(raw, ".") != 2 {
		return header{}, fmt.Errorf("%w: want 3 dot-separated segments", ErrMalformed)
	}
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return header{}, fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	var h struct {
		Alg any `json:"alg"`
		Kid any `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return header{}, fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	alg, ok := h.Alg.(string)
	if !ok || alg == "" {
		return header{}, fmt.Errorf("%w: header has no alg", ErrAlgorithm)
	}
	if !slices.Contains(allowed, alg) {
		return header{}, fmt.Errorf("%w: %q, allowed %s", ErrAlgorithm, clip(alg), strings.Join(allowed, ", "))
	}
	kid, _ := h.Kid.(string)
	return header{Alg: alg, Kid: kid}, nil
}

// parse runs precheck and then p on raw with key (a key or a
// jwt.VerificationKeySet), returning the claims or this package's error:
// the full path, for tokens the fast path (fast_verify.go) does not take.
func parse(p *jwt.Parser, raw string, allowed []string, key any) (*parsedClaims, error) {
	if _, err := precheck(raw, allowed); err != nil {
		return nil, err
	}
	claims := new(parsedClaims)
	if _, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
		return nil, mapError(err)
	}
	return claims, nil
}

// mapError translates a golang-jwt error into this package's sentinels,
// keeping jwt's text as detail but not its error values.
func mapError(err error) error {
	// Our own sentinels returned from a Keyfunc pass through.
	for _, own := range [...]error{ErrKeySource, ErrAlgorithm, ErrSignature} {
		if errors.Is(err, own) {
			return err
		}
	}
	pairs := [...]struct{ jwt, own error }{
		{jwt.ErrTokenMalformed, ErrMalformed},
		{jwt.ErrTokenSignatureInvalid, ErrSignature},
		{jwt.ErrTokenUnverifiable, ErrSignature},
		{jwt.ErrInvalidType, ErrMalformed},
		{jwt.ErrTokenRequiredClaimMissing, ErrMissingClaim},
		{jwt.ErrTokenExpired, ErrExpired},
		{jwt.ErrTokenNotValidYet, ErrNotYetValid},
		{jwt.ErrTokenInvalidIssuer, ErrIssuer},
		{jwt.ErrTokenInvalidAudience, ErrAudience},
	}
	for _, p := range pairs {
		if errors.Is(err, p.jwt) {
			return fmt.Errorf("%w (%v)", p.own, err)
		}
	}
	return fmt.Errorf("%w (%v)", ErrMalformed, err)
}

// clip bounds attacker-controlled text quoted in errors.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

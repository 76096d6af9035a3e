package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// publicKey is one usable key of a JSON Web Key Set.
type publicKey struct {
	kid string
	alg string // the JWK's alg, "" when unset
	key any    // *rsa.PublicKey or *ecdsa.PublicKey
}

// jwk is the subset of RFC 7517/7518 members Herald reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS decodes a JWK Set document. Keys that are not RSA or EC
// signature keys, or that fail to decode, are skipped; a document with no
// usable key is an error.
func parseJWKS(data []byte) ([]publicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %v", err)
	}
	var keys []publicKey
	for _, raw := range set.Keys {
		var k jwk
		if json.Unmarshal(raw, &k) != nil || (k.Use != "" && k.Use != "sig") {
			continue
		}
		var (
			key any
			err error
		)
		switch k.Kty {
		case "RSA":
			key, err = rsaKey(k.N, k.E)
		case "EC":
			key, err = ecKey(k.Crv, k.X, k.Y)
		default:
			continue
		}
		if err != nil {
			continue
		}
		keys = append(keys, publicKey{kid: k.Kid, alg: k.Alg, key: key})
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RSA or EC signing key")
	}
	return keys, nil
}

// rsaKey builds an RSA public key from base64url modulus and exponent.
func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := b64(n)
	if err != nil || len(nb) == 0 {
		return nil, errors.New("bad RSA modulus")
	}
	eb, err := b64(e)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad RSA exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}, nil
}

// ecKey builds an EC public key from a curve name and base64url coordinates,
// checking that the point is on the curve.
func ecKey(crv, x, y string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fmt.Errorf("unsupported curve %q", crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	xb, errX := b64(x)
	yb, errY := b64(y)
	if errX != nil || errY != nil || len(xb) == 0 || len(yb) == 0 || len(xb) > size || len(yb) > size {
		return nil, errors.New("bad EC coordinates")
	}
	point := make([]byte, 1+2*size)
	point[0] = 4 // uncompressed
	copy(point[1+size-len(xb):1+size], xb)
	copy(point[1+2*size-len(yb):], yb)
	return ecdsa.ParseUncompressedPublicKey(curve, point)
}

// b64 decodes base64url with or without padding.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// fits reports whether k can verify alg: RSA keys for RS*, EC keys of the
// matching curve for ES*, and the JWK's own alg, when set, equal to alg.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return key.Curve == elliptic.P256()
		case "ES384":
			return key.Curve == elliptic.P384()
		case "ES512":
			return key.Curve == elliptic.P521()
		}
	}
	return false
}

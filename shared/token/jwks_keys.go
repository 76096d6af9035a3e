package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/MicahParks/jwkset"
)

// maxRSABits bounds the modulus of an accepted RSA key, so that a key set
// cannot make each verification arbitrarily expensive.
const maxRSABits = 8192

// maxJWKSKeys bounds the keys kept from one key set document.
const maxJWKSKeys = 64

// parseJWKS decodes a JWK Set document with jwkset, keeping RSA and EC
// signature keys only. Keys that are of another type, meant for encryption,
// malformed (an EC point off its curve, an RSA exponent that is even, below
// 3 or above 2^31-1, a modulus over maxRSABits), or beyond the first
// maxJWKSKeys usable ones are skipped; a document with no usable key is an
// error. A JWK's x5u is never fetched.
func parseJWKS(data []byte) ([]jwkset.JWK, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %v", err)
	}
	var keys []jwkset.JWK
	for _, raw := range set.Keys {
		if len(keys) == maxJWKSKeys {
			break
		}
		var m jwkset.JWKMarshal
		if json.Unmarshal(raw, &m) != nil || (m.USE != "" && m.USE != jwkset.UseSig) {
			continue
		}
		if m.KTY != jwkset.KtyRSA && m.KTY != jwkset.KtyEC {
			continue
		}
		k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil || !usable(k.Key()) {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RSA or EC signing key")
	}
	return keys, nil
}

// usable reports whether a decoded public key is one Herald verifies with.
func usable(key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return k.N.Sign() > 0 && k.N.BitLen() <= maxRSABits && k.E >= 3 && k.E%2 == 1 && k.E <= 1<<31-1
	case *ecdsa.PublicKey:
		return true // jwkset checked the point is on its curve
	}
	return false
}

// fits reports whether key can verify alg: RSA keys for RS*, EC keys of the
// matching curve for ES*.
func fits(key any, alg string) bool {
	switch key := key.(type) {
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

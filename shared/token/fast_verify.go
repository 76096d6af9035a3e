package token

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// fastPath verifies the common token without golang-jwt's parser: one
// whose header segment is, byte for byte, the one golang-jwt writes for an
// allowed HMAC alg ({"alg":"HS256","typ":"JWT"} and its HS384 and HS512
// twins, which Herald's own issuer writes too). The parser would decode
// that header with encoding/json's reflection and make a new HMAC, keyed
// from scratch, for each key it tries; here the header is recognised by a
// map lookup and the MACs come keyed from a pool.
//
// It decides acceptance only. A token it does not take, and every token
// that fails one of its checks, goes to the parser, which then gives the
// same error, with the same text, as before; so the only observable
// difference is the CPU spent on tokens that verify.
type fastPath struct {
	heads     map[string][]*KeyedMACs // encoded header → a MAC pool per key
	validator *jwt.Validator          // the parser's own claims checks
}

// newFastPath returns the fast path for the allowed HMAC algs, keys in the
// order the parser tries them, and the validator built from the parser's
// options.
func newFastPath(algs []string, keys [][]byte, validator *jwt.Validator) fastPath {
	f := fastPath{heads: map[string][]*KeyedMACs{}, validator: validator}
	for _, alg := range algs {
		h, method := hmacHash(alg), jwt.GetSigningMethod(alg)
		if h == 0 || method == nil {
			continue
		}
		pools := make([]*KeyedMACs, len(keys))
		for i, k := range keys {
			pools[i] = NewKeyedMACs(h, k)
		}
		f.heads[strings.TrimSuffix(headerSegment(method), ".")] = pools
	}
	return f
}

// verify returns raw's claims when raw passes every check golang-jwt's
// parser makes with the same algs, keys and options: length and shape,
// alg, the signature with one of the keys, a payload that is one JSON
// object, and exp/nbf/iat by the same validator. Otherwise it returns nil
// and the caller runs the parser.
func (f *fastPath) verify(raw string) *parsedClaims {
	if raw == "" || len(raw) > MaxLength {
		return nil
	}
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return nil
	}
	dot2 := dot1 + 1 + strings.IndexByte(raw[dot1+1:], '.')
	if dot2 <= dot1 || strings.IndexByte(raw[dot2+1:], '.') >= 0 {
		return nil
	}
	macs, ok := f.heads[raw[:dot1]]
	if !ok {
		return nil
	}
	enc := base64.RawURLEncoding
	var sigBuf, macBuf [64]byte
	if enc.DecodedLen(len(raw)-dot2-1) > len(sigBuf) {
		return nil
	}
	n, err := enc.Decode(sigBuf[:], []byte(raw[dot2+1:]))
	if err != nil {
		return nil
	}
	signed := []byte(raw[:dot2])
	verified := false
	for _, m := range macs {
		if n == m.size && hmac.Equal(sigBuf[:n], m.sum(macBuf[:0], signed)) {
			verified = true
			break
		}
	}
	if !verified {
		return nil
	}
	payload, err := enc.DecodeString(raw[dot1+1 : dot2])
	if err != nil || !json.Valid(payload) {
		return nil
	}
	m, ok := decodeClaims(payload)
	if !ok {
		return nil
	}
	pc := &parsedClaims{m: m}
	if f.validator.Validate(pc) != nil {
		return nil
	}
	return pc
}

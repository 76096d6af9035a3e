package token

import (
	"crypto"
	"crypto/hmac"
	"hash"
	"sync"

	// The hashes the HMAC algorithms name, linked in as golang-jwt does.
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// KeyedMACs hands out HMACs keyed with one key for one hash. hmac.New
// hashes the key into its inner and outer pads, and the token paths make
// one MAC per token; a pooled MAC is Reset back to that keyed state
// instead. It is safe for concurrent use.
type KeyedMACs struct {
	size int
	pool sync.Pool
}

// NewKeyedMACs returns the pool for key and hash h (crypto.SHA256,
// SHA384 or SHA512, linked in by this package).
func NewKeyedMACs(h crypto.Hash, key []byte) *KeyedMACs {
	key = append([]byte(nil), key...)
	return &KeyedMACs{size: h.Size(), pool: sync.Pool{New: func() any { return hmac.New(h.New, key) }}}
}

// Get returns an HMAC in its keyed state. Give it back with Put.
func (k *KeyedMACs) Get() hash.Hash { return k.pool.Get().(hash.Hash) }

// Put resets m, from Get, to its keyed state and keeps it for reuse.
func (k *KeyedMACs) Put(m hash.Hash) {
	m.Reset()
	k.pool.Put(m)
}

// sum appends the MAC of the parts, in order, to dst and returns it.
func (k *KeyedMACs) sum(dst []byte, parts ...[]byte) []byte {
	m := k.Get()
	for _, p := range parts {
		m.Write(p)
	}
	dst = m.Sum(dst)
	k.Put(m)
	return dst
}

// hmacHash is the hash of an HMAC alg name, 0 for any other name.
func hmacHash(alg string) crypto.Hash {
	switch alg {
	case "HS256":
		return crypto.SHA256
	case "HS384":
		return crypto.SHA384
	case "HS512":
		return crypto.SHA512
	}
	return 0
}

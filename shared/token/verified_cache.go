package token

import (
	"sync"
)

// verifiedCacheBytes bounds each of a verifiedCache's two generations, in
// bytes of tokens (their claims, decoded from a part of the token, are
// counted again at the token's length).
const verifiedCacheBytes = 1 << 20

// verifiedCache remembers the tokens whose shape, alg and signature a
// Verifier has checked, with their decoded claims, so that the same token
// presented again (a client's negotiate and then its connect carry the one
// token) is not decoded and its signature not computed a second time. Those
// checks depend on the token's bytes and the Verifier's fixed keys and
// algorithms alone; the checks that depend on the time or the request
// (exp, nbf and iat against the clock, aud against the request) are made
// on every Verify. Only tokens signed with one of the keys get in, so its
// size is bounded by what key holders issue and, whatever that is, by
// verifiedCacheBytes per generation: when the current generation is full it
// becomes the previous one and the oldest is dropped.
type verifiedCache struct {
	mu        sync.Mutex
	cur, prev map[string]*parsedClaims
	curBytes  int
}

// get returns the claims of raw when raw was verified before, else nil.
func (c *verifiedCache) get(raw string) *parsedClaims {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pc, ok := c.cur[raw]; ok {
		return pc
	}
	return c.prev[raw]
}

// put remembers raw, whose signature verified, with its claims.
func (c *verifiedCache) put(raw string, pc *parsedClaims) {
	size := 2 * len(raw)
	if size > verifiedCacheBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.curBytes+size > verifiedCacheBytes || c.cur == nil {
		c.prev, c.cur, c.curBytes = c.cur, make(map[string]*parsedClaims), 0
	}
	if _, ok := c.cur[raw]; !ok {
		c.cur[raw] = pc
		c.curBytes += size
	}
}

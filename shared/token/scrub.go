package token

import "strings"

// Scrub returns s with every occurrence of each of toks (raw tokens a
// request carried) replaced by "[token]", for texts that go to logs. Tokens
// shorter than 8 characters are left alone: replacing them would mangle
// ordinary words, and they cannot be valid JWTs.
func Scrub(s string, toks ...string) string {
	for _, t := range toks {
		if len(t) >= 8 {
			s = strings.ReplaceAll(s, t, "[token]")
		}
	}
	return s
}

package serverless

import "strings"

// ParseClaims parses an X-ASRS-User-Claims value, "type: value" pairs
// joined by ", ", into a map, as the Functions trigger does: types and
// values are trimmed and the first value of a repeated type wins. Unlike the
// trigger, a piece without ": " continues the previous value, so a value
// that contains a comma ("name: Doe, John") comes back whole.
func ParseClaims(header string) map[string]string {
	claims := make(map[string]string)
	var (
		key  string
		val  strings.Builder
		keep bool // key is the first of its type
	)
	flush := func() {
		if keep {
			claims[key] = strings.TrimSpace(val.String())
		}
		val.Reset()
	}
	started := false
	for piece := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(piece, ": ")
		if !ok {
			if started {
				val.WriteByte(',')
				val.WriteString(piece)
			}
			continue
		}
		if started {
			flush()
		}
		started = true
		key = strings.TrimSpace(k)
		_, seen := claims[key]
		keep = key != "" && !seen
		if keep {
			claims[key] = "" // reserve: later pieces of the same type lose
		}
		val.WriteString(v)
	}
	if started {
		flush()
	}
	if len(claims) == 0 {
		return nil
	}
	return claims
}

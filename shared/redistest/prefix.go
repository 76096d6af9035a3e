package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
)

// KeyPrefix returns a key prefix no other test, run or process uses, so
// tests sharing one Redis server never see each other's keys. It is built
// from t's name (letters and digits only) and random bytes.
func KeyPrefix(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	return "test:" + name + ":" + hex.EncodeToString(r[:])
}

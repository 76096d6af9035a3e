package token

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyAgainChecksTimeAndAudience verifies one token twice or more,
// the second time from the Verifier's cache, and requires every check that
// depends on the clock or the request to be made again, with the error an
// uncached Verifier gives at the same moment.
func TestVerifyAgainChecksTimeAndAudience(t *testing.T) {
	var clock atomic.Int64
	clock.Store(decodeNow.Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	cfg := VerifierConfig{Keys: []string{"other-key", decodeKey}, Now: now}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *Verifier {
		f, err := NewVerifier(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	aud := Audience{Kind: ClientToken, Path: "/client/negotiate", Hub: "chat"}
	tok := signPayload([]byte(`{"alg":"HS256","typ":"JWT"}`), []byte(fmt.Sprintf(
		`{"aud":"http://localhost/client/?hub=chat","asrs.s.uid":"u1","nbf":%d,"exp":%d}`,
		decodeNow.Unix(), decodeNow.Add(time.Hour).Unix())))

	same := func(what string, got, want error, sentinel error) {
		t.Helper()
		if !errors.Is(got, sentinel) || want == nil || got.Error() != want.Error() {
			t.Fatalf("%s: error %v, want %v (%v)", what, got, want, sentinel)
		}
	}
	if c, err := v.Verify(tok, aud); err != nil || c.UserID() != "u1" {
		t.Fatalf("first verify: %v %v", c, err)
	}
	if v.seen.get(tok) == nil {
		t.Fatal("a verified token is not remembered")
	}
	if c, err := v.Verify(tok, aud); err != nil || c.UserID() != "u1" {
		t.Fatalf("second verify: %v %v", c, err)
	}
	// The request is checked every time.
	other := Audience{Kind: ClientToken, Path: "/client/negotiate", Hub: "news"}
	_, got := v.Verify(tok, other)
	_, want := fresh().Verify(tok, other)
	same("other hub", got, want, ErrAudience)

	// A token with another signature is another token.
	tampered := tok[:len(tok)-2] + "AA"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "BB"
	}
	_, got = v.Verify(tampered, aud)
	_, want = fresh().Verify(tampered, aud)
	same("tampered signature", got, want, ErrSignature)

	// Past exp and the leeway, the remembered token is refused as an
	// unremembered one is.
	clock.Store(decodeNow.Add(time.Hour + DefaultLeeway + time.Second).Unix())
	_, got = v.Verify(tok, aud)
	_, want = fresh().Verify(tok, aud)
	same("expired", got, want, ErrExpired)

	// Before nbf less the leeway as well.
	clock.Store(decodeNow.Add(-DefaultLeeway - time.Second).Unix())
	_, got = v.Verify(tok, aud)
	_, want = fresh().Verify(tok, aud)
	same("not yet valid", got, want, ErrNotYetValid)
}

// TestVerifiedCacheBounded fills the cache past its bound: each generation
// stays within verifiedCacheBytes and the oldest tokens are forgotten.
func TestVerifiedCacheBounded(t *testing.T) {
	var c verifiedCache
	first := ""
	for n := range 20000 {
		raw := fmt.Sprintf("%0200d", n)
		if n == 0 {
			first = raw
		}
		c.put(raw, &parsedClaims{m: jwt.MapClaims{}})
		if c.curBytes > verifiedCacheBytes {
			t.Fatalf("generation holds %d bytes, bound %d", c.curBytes, verifiedCacheBytes)
		}
	}
	if c.get(first) != nil {
		t.Fatal("the oldest token is still remembered")
	}
	if total := len(c.cur) + len(c.prev); total > 2*verifiedCacheBytes/400 {
		t.Fatalf("%d tokens remembered", total)
	}
	c.put(string(make([]byte, verifiedCacheBytes)), &parsedClaims{})
	if c.curBytes > verifiedCacheBytes {
		t.Fatal("an oversized token was remembered")
	}
}

package token_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

// BenchmarkVerifyClientToken verifies client access tokens as the
// gateway's negotiate and connect do: two AccessKeys, the tokens signed
// with the primary, the client audience rule. "first" verifies each token
// once (a negotiate), "again" one token over and over (the connect after
// its negotiate).
func BenchmarkVerifyClientToken(b *testing.B) {
	newVerifier := func() *token.Verifier {
		v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA, keyB}, Now: at(t0)})
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	toks := make([]string, 1024)
	for n := range toks {
		claims := std("http://localhost/client/?hub=chat")
		claims[token.ClaimUserID] = fmt.Sprintf("user-%d", n)
		toks[n] = sign(b, jwt.SigningMethodHS256, []byte(keyA), claims, nil)
	}
	aud := token.Audience{Kind: token.ClientToken, Path: "/client/negotiate", Hub: "chat"}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		var v *token.Verifier
		n := 0
		for b.Loop() {
			if n%len(toks) == 0 {
				v = newVerifier()
			}
			if _, err := v.Verify(toks[n%len(toks)], aud); err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
	b.Run("again", func(b *testing.B) {
		v := newVerifier()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(toks[0], aud); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssueClientToken issues a client access token as the app
// negotiate does: the user id and the audience.
func BenchmarkIssueClientToken(b *testing.B) {
	is, err := token.NewIssuer(token.IssuerConfig{Key: keyA, Now: at(t0)})
	if err != nil {
		b.Fatal(err)
	}
	claims := map[string]any{token.ClaimUserID: "user-1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := is.Issue("http://localhost/client/?hub=chat", claims, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

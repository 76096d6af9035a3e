package token_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

// BenchmarkVerifyClientToken verifies a client access token as the
// gateway's negotiate and connect do: two AccessKeys, the token signed
// with the primary, the client audience rule.
func BenchmarkVerifyClientToken(b *testing.B) {
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA, keyB}, Now: at(t0)})
	if err != nil {
		b.Fatal(err)
	}
	claims := std("http://localhost/client/?hub=chat")
	claims[token.ClaimUserID] = "user-1"
	tok := sign(b, jwt.SigningMethodHS256, []byte(keyA), claims, nil)
	aud := token.Audience{Kind: token.ClientToken, Path: "/client/negotiate", Hub: "chat"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok, aud); err != nil {
			b.Fatal(err)
		}
	}
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

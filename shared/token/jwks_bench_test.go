package token_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

// BenchmarkJWKSVerifyApp verifies an ES256 token whose key is cached, from
// parallel callers.
func BenchmarkJWKSVerifyApp(b *testing.B) {
	p256 := ecKey(b, "P-256")
	srv := newJWKSServer(b, ecJWK(b, "e256", "P-256", p256), rsaJWK("r0", rsaKey(b, 0)))
	v, err := token.NewJWKSAppVerifier(token.JWKSAppConfig{URL: srv.URL, Client: srv.Client(), Now: at(t0)})
	if err != nil {
		b.Fatal(err)
	}
	tok := sign(b, jwt.SigningMethodES256, p256, appClaims(), map[string]any{"kid": "e256"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.VerifyApp(context.Background(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

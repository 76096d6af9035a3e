package token_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

func TestNewHMACAppVerifierConfig(t *testing.T) {
	if _, err := token.NewHMACAppVerifier(token.HMACAppConfig{}); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: "s", Algorithms: []string{"RS256"}}); err == nil {
		t.Error("RS256 accepted")
	}
}

func TestHMACAppVerifier(t *testing.T) {
	const secret = "app-secret"
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "alice", "iss": "https://idp", "aud": "herald", "exp": t0.Add(time.Hour).Unix()}
	}
	tests := []struct {
		name   string
		cfg    token.HMACAppConfig
		claims func() jwt.MapClaims
		method jwt.SigningMethod
		key    string
		want   error
	}{
		{name: "valid", claims: base},
		{name: "issuer and audience", cfg: token.HMACAppConfig{Issuer: "https://idp", Audience: "herald"}, claims: base},
		{name: "missing exp", claims: func() jwt.MapClaims { c := base(); delete(c, "exp"); return c }, want: token.ErrMissingClaim},
		{name: "expired within 1m leeway", claims: func() jwt.MapClaims { c := base(); c["exp"] = t0.Unix() - 30; return c }},
		{name: "expired beyond leeway", claims: func() jwt.MapClaims { c := base(); c["exp"] = t0.Unix() - 90; return c }, want: token.ErrExpired},
		{name: "nbf future", claims: func() jwt.MapClaims { c := base(); c["nbf"] = t0.Unix() + 90; return c }, want: token.ErrNotYetValid},
		{name: "wrong issuer", cfg: token.HMACAppConfig{Issuer: "https://other"}, claims: base, want: token.ErrIssuer},
		{name: "missing issuer", cfg: token.HMACAppConfig{Issuer: "https://idp"}, claims: func() jwt.MapClaims { c := base(); delete(c, "iss"); return c }, want: token.ErrIssuer},
		{name: "missing audience", cfg: token.HMACAppConfig{Audience: "herald"}, claims: func() jwt.MapClaims { c := base(); delete(c, "aud"); return c }, want: token.ErrAudience},
		{name: "wrong audience", cfg: token.HMACAppConfig{Audience: "other"}, claims: base, want: token.ErrAudience},
		{name: "wrong secret", claims: base, key: "nope", want: token.ErrSignature},
		{name: "HS512 not allowed by default", claims: base, method: jwt.SigningMethodHS512, want: token.ErrAlgorithm},
		{name: "HS512 allowed", cfg: token.HMACAppConfig{Algorithms: []string{"HS512"}}, claims: base, method: jwt.SigningMethodHS512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Secret = secret
			cfg.Now = at(t0)
			v, err := token.NewHMACAppVerifier(cfg)
			if err != nil {
				t.Fatal(err)
			}
			method, key := tt.method, tt.key
			if method == nil {
				method = jwt.SigningMethodHS256
			}
			if key == "" {
				key = secret
			}
			claims, err := v.VerifyApp(context.Background(), sign(t, method, []byte(key), tt.claims(), nil))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifyApp: %v", err)
				}
				if claims.UserID() != "alice" {
					t.Errorf("UserID = %q", claims.UserID())
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyApp error = %v, want %v", err, tt.want)
			}
		})
	}
}

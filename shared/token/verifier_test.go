package token_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

const clientAud = "http://localhost/client/?hub=chat"

var clientReq = token.Audience{Path: "/client/negotiate", Hub: "chat"}

func TestNewVerifierConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  token.VerifierConfig
		ok   bool
	}{
		{"defaults", token.VerifierConfig{Keys: []string{keyA}}, true},
		{"two keys", token.VerifierConfig{Keys: []string{keyA, keyB}}, true},
		{"no keys", token.VerifierConfig{}, false},
		{"empty key", token.VerifierConfig{Keys: []string{keyA, ""}}, false},
		{"RS256", token.VerifierConfig{Keys: []string{keyA}, Algorithms: []string{"RS256"}}, false},
		{"none", token.VerifierConfig{Keys: []string{keyA}, Algorithms: []string{"none"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := token.NewVerifier(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("NewVerifier error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	hs256 := func(key string, c jwt.MapClaims) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, []byte(key), c, nil) }
	}
	with := func(c jwt.MapClaims, kv ...any) jwt.MapClaims {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	minutes := func(m int) int64 { return t0.Add(time.Duration(m) * time.Minute).Unix() }

	tests := []struct {
		name  string
		cfg   token.VerifierConfig // Keys and Now default to keyA and t0
		token func(*testing.T) string
		want  error
	}{
		{name: "valid", token: hs256(keyA, std(clientAud))},
		{name: "HS512", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS512, []byte(keyA), std(clientAud), nil)
		}},
		{name: "second key", cfg: token.VerifierConfig{Keys: []string{keyA, keyB}}, token: hs256(keyB, std(clientAud))},
		{name: "kid ignored", cfg: token.VerifierConfig{Keys: []string{keyA, keyB}}, token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte(keyB), std(clientAud), map[string]any{"kid": "-123456"})
		}},
		{name: "unknown key", token: hs256(keyB, std(clientAud)), want: token.ErrSignature},
		{name: "tampered payload", token: func(t *testing.T) string {
			parts := strings.Split(sign(t, jwt.SigningMethodHS256, []byte(keyA), std(clientAud), nil), ".")
			parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"` + clientAud + `","asrs.s.uid":"admin"}`))
			return strings.Join(parts, ".")
		}, want: token.ErrSignature},
		{name: "alg none", token: func(t *testing.T) string {
			return unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, std(clientAud))
		}, want: token.ErrAlgorithm},
		{name: "alg none signed by jwt", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, std(clientAud), nil)
		}, want: token.ErrAlgorithm},
		{name: "alg missing", token: func(t *testing.T) string {
			return unsigned(t, map[string]any{"typ": "JWT"}, std(clientAud))
		}, want: token.ErrAlgorithm},
		{name: "HS256 where only HS512", cfg: token.VerifierConfig{Algorithms: []string{"HS512"}}, token: hs256(keyA, std(clientAud)), want: token.ErrAlgorithm},
		{name: "RS256", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, rsaKey(t, 0), std(clientAud), nil)
		}, want: token.ErrAlgorithm},
		{name: "RS256 header over HMAC signature", token: func(t *testing.T) string {
			parts := strings.Split(sign(t, jwt.SigningMethodHS256, []byte(keyA), std(clientAud), nil), ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
			return strings.Join(parts, ".")
		}, want: token.ErrAlgorithm},
		{name: "empty", token: func(*testing.T) string { return "" }, want: token.ErrMissing},
		{name: "one segment", token: func(*testing.T) string { return "abc" }, want: token.ErrMalformed},
		{name: "four segments", token: func(*testing.T) string { return "a.b.c.d" }, want: token.ErrMalformed},
		{name: "header not base64", token: func(*testing.T) string { return "!!.e30.x" }, want: token.ErrMalformed},
		{name: "header not JSON", token: func(*testing.T) string { return "bm90anNvbg.e30.x" }, want: token.ErrMalformed},
		{name: "payload not JSON", token: func(t *testing.T) string {
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + ".bm90anNvbg.x"
		}, want: token.ErrMalformed},
		{name: "too long", token: func(*testing.T) string { return strings.Repeat("a", token.MaxLength+1) }, want: token.ErrTooLong},
		{name: "validly signed but too long", token: hs256(keyA, with(std(clientAud), "pad", strings.Repeat("p", token.MaxLength))), want: token.ErrTooLong},
		{name: "no exp", token: hs256(keyA, with(std(clientAud), "exp", nil)), want: token.ErrMissingClaim},
		{name: "exp wrong type", token: hs256(keyA, with(std(clientAud), "exp", "tomorrow")), want: token.ErrMalformed},
		{name: "expired within leeway", token: hs256(keyA, with(std(clientAud), "exp", minutes(-1))), want: nil},
		{name: "expired beyond leeway", token: hs256(keyA, with(std(clientAud), "exp", minutes(-6))), want: token.ErrExpired},
		{name: "expired without leeway", cfg: token.VerifierConfig{Leeway: -1}, token: hs256(keyA, with(std(clientAud), "exp", t0.Unix()-1)), want: token.ErrExpired},
		{name: "expired within custom leeway", cfg: token.VerifierConfig{Leeway: 30 * time.Second}, token: hs256(keyA, with(std(clientAud), "exp", t0.Unix()-10))},
		{name: "nbf within leeway", token: hs256(keyA, with(std(clientAud), "nbf", minutes(1)))},
		{name: "nbf beyond leeway", token: hs256(keyA, with(std(clientAud), "nbf", minutes(6))), want: token.ErrNotYetValid},
		{name: "nbf without leeway", cfg: token.VerifierConfig{Leeway: -1}, token: hs256(keyA, with(std(clientAud), "nbf", t0.Unix()+1)), want: token.ErrNotYetValid},
		{name: "missing aud", token: hs256(keyA, with(std(clientAud), "aud", nil)), want: token.ErrAudience},
		{name: "wrong hub", token: hs256(keyA, std("http://localhost/client/?hub=other")), want: token.ErrAudience},
		{name: "signature checked before audience", token: hs256(keyB, std("http://localhost/client/?hub=other")), want: token.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.Keys == nil {
				cfg.Keys = []string{keyA}
			}
			if cfg.Now == nil {
				cfg.Now = at(t0)
			}
			v, err := token.NewVerifier(cfg)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := v.Verify(tt.token(t), clientReq)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if claims == nil {
					t.Fatal("nil claims")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if claims != nil {
				t.Errorf("claims returned with error: %v", claims)
			}
		})
	}
}

func TestVerifyTooLongDetail(t *testing.T) {
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(strings.Repeat("a", 5000), clientReq)
	if !errors.Is(err, token.ErrTooLong) || !strings.Contains(err.Error(), "5000") || !strings.Contains(err.Error(), "4096") {
		t.Errorf("err = %v", err)
	}
}

func TestVerifyErrorsHideJWT(t *testing.T) {
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA}, Now: at(t0.Add(2 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(sign(t, jwt.SigningMethodHS256, []byte(keyA), std(clientAud), nil), clientReq)
	if !errors.Is(err, token.ErrExpired) {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, jwt.ErrTokenExpired) {
		t.Error("golang-jwt error leaks through errors.Is")
	}
}

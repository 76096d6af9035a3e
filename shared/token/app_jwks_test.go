package token_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(t testing.TB, kid, crv string, k *ecdsa.PrivateKey) map[string]any {
	t.Helper()
	pt, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	size := (len(pt) - 1) / 2
	return map[string]any{"kty": "EC", "kid": kid, "crv": crv, "x": b64u(pt[1 : 1+size]), "y": b64u(pt[1+size:])}
}

// jwksServer serves a key set that tests may replace, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	keys   []map[string]any
	status int
	hits   int
}

func newJWKSServer(t testing.TB, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits++
		if s.status != http.StatusOK {
			w.WriteHeader(s.status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, keys ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.keys = status, keys
}

func (s *jwksServer) fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// clock is a settable time source.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func appClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "alice", "exp": t0.Add(24 * time.Hour).Unix()}
}

func TestNewJWKSAppVerifierConfig(t *testing.T) {
	for _, cfg := range []token.JWKSAppConfig{
		{},
		{URL: "/relative"},
		{URL: "ftp://x/jwks"},
		{URL: "https://idp/jwks", Algorithms: []string{"HS256"}},
	} {
		if _, err := token.NewJWKSAppVerifier(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestJWKSAppVerifier(t *testing.T) {
	r0, r1 := rsaKey(t, 0), rsaKey(t, 1)
	p256, p384 := ecKey(t, "P-256"), ecKey(t, "P-384")
	srv := newJWKSServer(t, rsaJWK("r0", r0), ecJWK(t, "e256", "P-256", p256), ecJWK(t, "e384", "P-384", p384))

	v, err := token.NewJWKSAppVerifier(token.JWKSAppConfig{
		URL:        srv.URL,
		Client:     srv.Client(),
		Algorithms: []string{"RS256", "ES256", "ES384"},
		Audience:   "herald",
		Now:        at(t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if srv.fetches() != 0 {
		t.Fatal("key set fetched before first use")
	}
	withAud := func() jwt.MapClaims { c := appClaims(); c["aud"] = []string{"other", "herald"}; return c }

	tests := []struct {
		name  string
		token func(*testing.T) string
		want  error
	}{
		{"RSA by kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, r0, withAud(), map[string]any{"kid": "r0"})
		}, nil},
		{"EC P-256 by kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, p256, withAud(), map[string]any{"kid": "e256"})
		}, nil},
		{"EC P-384", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES384, p384, withAud(), map[string]any{"kid": "e384"})
		}, nil},
		{"no kid tries all", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, p256, withAud(), nil)
		}, nil},
		{"kid names another key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, r1, withAud(), map[string]any{"kid": "r0"})
		}, token.ErrSignature},
		{"ES256 with P-384 kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, p256, withAud(), map[string]any{"kid": "e384"})
		}, token.ErrSignature},
		{"unknown signer without kid", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, r1, withAud(), nil)
		}, token.ErrSignature},
		{"RS512 not allowed", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS512, r0, withAud(), map[string]any{"kid": "r0"})
		}, token.ErrAlgorithm},
		{"HS256 with public key bytes", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, r0.N.Bytes(), withAud(), map[string]any{"kid": "r0"})
		}, token.ErrAlgorithm},
		{"alg none", func(t *testing.T) string {
			return unsigned(t, map[string]any{"alg": "none", "kid": "r0"}, withAud())
		}, token.ErrAlgorithm},
		{"missing exp", func(t *testing.T) string {
			c := withAud()
			delete(c, "exp")
			return sign(t, jwt.SigningMethodRS256, r0, c, map[string]any{"kid": "r0"})
		}, token.ErrMissingClaim},
		{"wrong audience", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, r0, appClaims(), map[string]any{"kid": "r0"})
		}, token.ErrAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := v.VerifyApp(context.Background(), tt.token(t))
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
	if n := srv.fetches(); n != 1 {
		t.Errorf("fetches = %d, want 1 (cached)", n)
	}
}

func TestJWKSRotation(t *testing.T) {
	r0, r1 := rsaKey(t, 0), rsaKey(t, 1)
	srv := newJWKSServer(t, rsaJWK("r0", r0))
	clk := &clock{now: t0}
	v, err := token.NewJWKSAppVerifier(token.JWKSAppConfig{URL: srv.URL, Client: srv.Client(), Refresh: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := sign(t, jwt.SigningMethodRS256, r0, appClaims(), map[string]any{"kid": "r0"})
	rotated := sign(t, jwt.SigningMethodRS256, r1, appClaims(), map[string]any{"kid": "r1"})

	step := func(name, tok string, want error, fetches int) {
		t.Helper()
		_, err := v.VerifyApp(ctx, tok)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
		if n := srv.fetches(); n != fetches {
			t.Errorf("%s: fetches = %d, want %d", name, n, fetches)
		}
	}

	step("first use fetches", old, nil, 1)
	srv.set(http.StatusOK, rsaJWK("r0", r0), rsaJWK("r1", r1))
	step("unknown kid right after a fetch", rotated, token.ErrSignature, 1)
	clk.now = t0.Add(10 * time.Second)
	step("unknown kid within 30s", rotated, token.ErrSignature, 1)
	clk.now = t0.Add(31 * time.Second)
	step("unknown kid after 30s refetches", rotated, nil, 2)
	step("known kid served from cache", rotated, nil, 2)
	clk.now = t0.Add(40 * time.Second)
	step("still unknown kid is rate limited", sign(t, jwt.SigningMethodRS256, r1, appClaims(), map[string]any{"kid": "r9"}), token.ErrSignature, 2)

	// The key set goes away: stale keys stay in use after a failed refresh.
	srv.set(http.StatusInternalServerError)
	clk.now = t0.Add(2 * time.Hour)
	step("failed refresh keeps cached keys", old, nil, 3)
	clk.now = t0.Add(2*time.Hour + 10*time.Second)
	step("no retry within 30s of a failure", old, nil, 3)

	// r0 is retired; after the refresh period its tokens fail.
	srv.set(http.StatusOK, rsaJWK("r1", r1))
	clk.now = t0.Add(3 * time.Hour)
	step("refresh drops retired key", old, token.ErrSignature, 4)
	step("new key still valid", rotated, nil, 4)
}

func TestJWKSUnavailable(t *testing.T) {
	srv := newJWKSServer(t)
	srv.set(http.StatusNotFound)
	v, err := token.NewJWKSAppVerifier(token.JWKSAppConfig{URL: srv.URL, Client: srv.Client(), Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodRS256, rsaKey(t, 0), appClaims(), map[string]any{"kid": "r0"})
	if _, err := v.VerifyApp(context.Background(), tok); !errors.Is(err, token.ErrKeySource) {
		t.Errorf("404: err = %v, want ErrKeySource", err)
	}

	srv.set(http.StatusOK) // empty key set
	if _, err := v.VerifyApp(context.Background(), tok); !errors.Is(err, token.ErrKeySource) {
		t.Errorf("empty set: err = %v, want ErrKeySource", err)
	}

	srv.set(http.StatusOK, rsaJWK("r0", rsaKey(t, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.VerifyApp(ctx, tok); !errors.Is(err, token.ErrKeySource) {
		t.Errorf("canceled ctx: err = %v, want ErrKeySource", err)
	}
	if _, err := v.VerifyApp(context.Background(), tok); err != nil {
		t.Errorf("recovered: %v", err)
	}
}

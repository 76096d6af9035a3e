package token_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

func TestNewIssuerConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  token.IssuerConfig
		ok   bool
	}{
		{"defaults", token.IssuerConfig{Key: keyA}, true},
		{"HS512", token.IssuerConfig{Key: keyA, Algorithm: "HS512"}, true},
		{"empty key", token.IssuerConfig{}, false},
		{"RS256", token.IssuerConfig{Key: keyA, Algorithm: "RS256"}, false},
		{"none", token.IssuerConfig{Key: keyA, Algorithm: "none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := token.NewIssuer(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("NewIssuer error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestIssue(t *testing.T) {
	iss, err := token.NewIssuer(token.IssuerConfig{Key: keyA, Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	const aud = "http://localhost/client/?hub=chat"
	raw, err := iss.Issue(aud, map[string]any{
		"asrs.s.uid": "user1",
		"aud":        "evil",
		"exp":        99,
		"iss":        "me",
		"jti":        "j",
		"nonce":      "n",
		"role":       []string{"a", "b"},
		"sub":        "s",
	}, 0)
	if err != nil {
		t.Fatal(err)
	}

	hdr := decodeSegment(t, raw, 0)
	if hdr["alg"] != "HS256" || hdr["typ"] != "JWT" {
		t.Errorf("header = %v", hdr)
	}
	body := decodeSegment(t, raw, 1)
	want := map[string]any{
		"aud":          aud,
		"iat":          float64(t0.Unix()),
		"nbf":          float64(t0.Unix()),
		"exp":          float64(t0.Add(time.Hour).Unix()),
		"asrs.s.uid":   "user1",
		"asrs.u.aud":   "evil",
		"asrs.u.exp":   99.0,
		"asrs.u.iss":   "me",
		"asrs.u.jti":   "j",
		"asrs.u.nonce": "n",
		"sub":          "s",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("claim %s = %v, want %v", k, body[k], v)
		}
	}
	if _, ok := body["iss"]; ok {
		t.Errorf("iss claim present: %v", body)
	}

	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA}, Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(raw, token.Audience{Path: "/client/negotiate", Hub: "chat"})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.UserID() != "user1" {
		t.Errorf("UserID = %q", c.UserID())
	}
}

func TestIssueLifetime(t *testing.T) {
	iss, err := token.NewIssuer(token.IssuerConfig{Key: keyA, Algorithm: "HS512", Lifetime: 10 * time.Minute, Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lifetime, want time.Duration
	}{{0, 10 * time.Minute}, {-time.Second, 10 * time.Minute}, {2 * time.Hour, 2 * time.Hour}} {
		raw, err := iss.Issue("http://h/", nil, tt.lifetime)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeSegment(t, raw, 1)["exp"]; got != float64(t0.Add(tt.want).Unix()) {
			t.Errorf("lifetime %v: exp = %v", tt.lifetime, got)
		}
		if alg := decodeSegment(t, raw, 0)["alg"]; alg != "HS512" {
			t.Errorf("alg = %v", alg)
		}
	}
}

func TestIssueTooLong(t *testing.T) {
	iss, err := token.NewIssuer(token.IssuerConfig{Key: keyA})
	if err != nil {
		t.Fatal(err)
	}
	_, err = iss.Issue("http://h/client/?hub=chat", map[string]any{"big": strings.Repeat("x", token.MaxLength)}, 0)
	if !errors.Is(err, token.ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	if !strings.Contains(err.Error(), "4096") || !strings.Contains(err.Error(), "characters") {
		t.Errorf("error lacks size detail: %v", err)
	}
}

func TestIssueBadInput(t *testing.T) {
	iss, err := token.NewIssuer(token.IssuerConfig{Key: keyA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue("", nil, 0); err == nil {
		t.Error("empty audience accepted")
	}
	if _, err := iss.Issue("http://h/", map[string]any{"ch": make(chan int)}, 0); err == nil {
		t.Error("unmarshalable claim accepted")
	}
}

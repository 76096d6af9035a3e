package conninfo_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/token"
)

const (
	emulator  = "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;"
	accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func now() time.Time { return t0 }

func binding(t *testing.T, cs string, cfg conninfo.Config) *conninfo.Binding {
	t.Helper()
	c, err := connstr.Parse(cs)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnectionString = c
	if cfg.Now == nil {
		cfg.Now = now
	}
	b, err := conninfo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payload decodes the claims of a token without verifying it.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNew(t *testing.T) {
	aad, err := connstr.Parse("Endpoint=https://x;AuthType=azure.msi")
	if err != nil {
		t.Fatal(err)
	}
	good, err := connstr.Parse(emulator)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  conninfo.Config
		ok   bool
	}{
		{"emulator", conninfo.Config{ConnectionString: good}, true},
		{"HS512", conninfo.Config{ConnectionString: good, Algorithm: "HS512"}, true},
		{"zero connection string", conninfo.Config{}, false},
		{"no access key", conninfo.Config{ConnectionString: aad}, false},
		{"bad algorithm", conninfo.Config{ConnectionString: good, Algorithm: "RS256"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conninfo.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("New error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestConnectionInfo(t *testing.T) {
	tests := []struct {
		name    string
		cs      string
		req     conninfo.Request
		url     string
		aud     string
		uid     string
		expires time.Duration
	}{
		{
			name:    "emulator",
			cs:      emulator,
			req:     conninfo.Request{Hub: "Chat", UserID: "alice"},
			url:     "http://localhost:8888/client/?hub=chat",
			aud:     "http://localhost/client/?hub=chat",
			uid:     "alice",
			expires: time.Hour,
		},
		{
			name:    "application and lifetime",
			cs:      "Endpoint=https://herald.example;AccessKey=k;Version=1.0",
			req:     conninfo.Request{Hub: "Chat", Application: "MyApp", Lifetime: 5 * time.Minute},
			url:     "https://herald.example/client/?hub=myapp_chat",
			aud:     "https://herald.example/client/?hub=myapp_chat",
			expires: 5 * time.Minute,
		},
		{
			name:    "client endpoint",
			cs:      "Endpoint=http://svc:8080;AccessKey=k;ClientEndpoint=https://gw.example/prod",
			req:     conninfo.Request{Hub: "chat"},
			url:     "https://gw.example/prod/client/?hub=chat",
			aud:     "http://svc/client/?hub=chat",
			expires: time.Hour,
		},
		{
			name:    "client base override",
			cs:      emulator,
			req:     conninfo.Request{Hub: "chat", ClientBase: "https://public.example:9443/herald"},
			url:     "https://public.example:9443/herald/client/?hub=chat",
			aud:     "http://localhost/client/?hub=chat",
			expires: time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := binding(t, tt.cs, conninfo.Config{})
			info, err := b.ConnectionInfo(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if info.URL != tt.url {
				t.Errorf("URL = %q, want %q", info.URL, tt.url)
			}
			p := payload(t, info.AccessToken)
			if p["aud"] != tt.aud {
				t.Errorf("aud = %v, want %q", p["aud"], tt.aud)
			}
			if got, _ := p["asrs.s.uid"].(string); got != tt.uid {
				t.Errorf("asrs.s.uid = %q, want %q", got, tt.uid)
			}
			if p["exp"] != float64(t0.Add(tt.expires).Unix()) || p["nbf"] != float64(t0.Unix()) || p["iat"] != float64(t0.Unix()) {
				t.Errorf("times: exp %v nbf %v iat %v", p["exp"], p["nbf"], p["iat"])
			}
		})
	}
}

// TestConnectionInfoVerifies checks the round trip a client makes: the
// token from app negotiate is accepted by the service on /client/negotiate.
func TestConnectionInfoVerifies(t *testing.T) {
	b := binding(t, emulator, conninfo.Config{Algorithm: "HS512"})
	info, err := b.ConnectionInfo(conninfo.Request{
		Hub:    "Chat",
		UserID: "alice",
		Claims: map[string]any{"asrs.s.uid": "mallory", "role": "admin", "exp": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{"other-key", accessKey}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(info.AccessToken, token.Audience{Path: "/client/negotiate", Hub: "chat", Hosts: []string{"localhost:8888"}})
	if err != nil {
		t.Fatal(err)
	}
	if claims.UserID() != "alice" || claims.String("role") != "admin" || claims["asrs.u.exp"] != 1.0 {
		t.Errorf("claims = %v", claims)
	}
	if _, err := v.Verify(info.AccessToken, token.Audience{Path: "/client/negotiate", Hub: "other"}); !errors.Is(err, token.ErrAudience) {
		t.Errorf("other hub: %v", err)
	}
}

func TestConnectionInfoErrors(t *testing.T) {
	b := binding(t, emulator, conninfo.Config{})
	tests := []struct {
		name string
		req  conninfo.Request
		want error
	}{
		{"empty hub", conninfo.Request{}, conninfo.ErrInvalidHub},
		{"bad hub", conninfo.Request{Hub: "chat room"}, conninfo.ErrInvalidHub},
		{"bad application", conninfo.Request{Hub: "chat", Application: "1app"}, conninfo.ErrInvalidHub},
		{"relative client base", conninfo.Request{Hub: "chat", ClientBase: "/herald/"}, conninfo.ErrInvalidClientBase},
		{"ws client base", conninfo.Request{Hub: "chat", ClientBase: "ws://x/"}, conninfo.ErrInvalidClientBase},
		{"client base with query", conninfo.Request{Hub: "chat", ClientBase: "https://x/?a=b"}, conninfo.ErrInvalidClientBase},
		{"too many claims", conninfo.Request{Hub: "chat", Claims: map[string]any{"big": strings.Repeat("x", 4000)}}, token.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := b.ConnectionInfo(tt.req)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if info != (conninfo.Info{}) {
				t.Errorf("info returned with error: %+v", info)
			}
		})
	}
	_, err := b.ConnectionInfo(conninfo.Request{Hub: "chat", Claims: map[string]any{"big": strings.Repeat("x", 4000)}})
	if !strings.Contains(err.Error(), "limit 4096") {
		t.Errorf("size detail lost: %v", err)
	}
}

func TestConnectionInfoDoesNotMutateClaims(t *testing.T) {
	b := binding(t, emulator, conninfo.Config{})
	claims := map[string]any{"role": "x"}
	if _, err := b.ConnectionInfo(conninfo.Request{Hub: "chat", UserID: "u", Claims: claims}); err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 {
		t.Errorf("caller's claims changed: %v", claims)
	}
}

// Diagnostic clients carry asrs.s.dc = "true"; others do not.
func TestConnectionInfoDiagnostic(t *testing.T) {
	b := binding(t, emulator, conninfo.Config{})
	for _, diag := range []bool{true, false} {
		info, err := b.ConnectionInfo(conninfo.Request{Hub: "chat", UserID: "u", Diagnostic: diag})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := payload(t, info.AccessToken)[token.ClaimDiagnostic]
		if diag && got != "true" || !diag && ok {
			t.Errorf("Diagnostic %v: claim %v", diag, got)
		}
	}
}

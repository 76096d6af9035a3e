package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

func TestGenerateToken(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		base    string
		hub     string
		user    string
		minutes int64
	}{
		{"defaults", "/api/hubs/Chat/:generateToken?api-version=2024-01-01", "", "chat", "", 60},
		{"user and lifetime", "/api/hubs/chat/:generateToken?userId=u%401&minutesToExpire=5&group=a&group=b", "", "chat", "u@1", 5},
		{"application", "/api/hubs/chat/:generateToken?application=App&userId=x", "", "app_chat", "x", 60},
		{"configured base", "/api/v1/hubs/chat/:generateToken", "https://signalr.example.com", "chat", "", 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *httpapi.RESTConfig) { c.ClientAudienceBase = tt.base })
			w := f.do("POST", tt.target, "")
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("token response is cacheable")
			}
			var body struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Token == "" {
				t.Fatalf("body %s: %v", w.Body.String(), err)
			}
			host := "localhost" // request host, port dropped
			if tt.base != "" {
				host = "signalr.example.com"
			}
			claims, err := newVerifier(t, testKey).Verify(body.Token,
				token.Audience{Path: "/client/", Hub: tt.hub, Hosts: []string{host}})
			if err != nil {
				t.Fatal(err)
			}
			wantAud := "http://" + host + "/client/?hub=" + tt.hub
			if tt.base != "" {
				wantAud = "https://" + host + "/client/?hub=" + tt.hub
			}
			if aud := claims.Audience(); len(aud) != 1 || aud[0] != wantAud {
				t.Errorf("aud %q, want %q", aud, wantAud)
			}
			if got := claims.UserID(); got != tt.user {
				t.Errorf("user %q, want %q", got, tt.user)
			}
			exp, _ := claims["exp"].(float64)
			iat, _ := claims["iat"].(float64)
			if int64(exp-iat) != tt.minutes*60 {
				t.Errorf("lifetime %vs, want %d min", exp-iat, tt.minutes)
			}
		})
	}
}

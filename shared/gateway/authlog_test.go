package gateway

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/token"
)

// authCounter is a Metrics that also counts token refusals.
type authCounter struct {
	noMetrics
	mu  sync.Mutex
	got map[string]int
}

func (m *authCounter) AuthRefused(endpoint, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.got == nil {
		m.got = map[string]int{}
	}
	m.got[endpoint+"/"+reason]++
}

func (m *authCounter) take() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.got
	m.got = nil
	return g
}

// refusalRecords returns the JSON records of refused client tokens.
func refusalRecords(t *testing.T, logs *testsupport.Buffer) []map[string]any {
	t.Helper()
	recs, err := logs.Records(LogClientTokenRefused)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Every refused client token, on negotiate and on connect, leaves one Warn
// record with hub, route, client address and reason, never the token, and
// one count by reason.
func TestClientTokenRefusalLogged(t *testing.T) {
	logs := &testsupport.Buffer{}
	m := &authCounter{}
	h := newHarness(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Metrics = m
	})
	sign := func(key string, claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	aud := "http://localhost/client/?hub=chat"
	exp := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		name, route, tok, label, reason string
	}{
		{"missing", "negotiate", "", token.ReasonMissing, "missing"},
		{"malformed", "negotiate", "abc.defghijk", token.ReasonMalformed, "malformed"},
		{"signature", "negotiate", sign("another-key", jwt.MapClaims{"aud": aud, "exp": exp}), token.ReasonSignature, "signature"},
		{"expired", "negotiate", sign(testKey, jwt.MapClaims{"aud": aud, "exp": time.Now().Add(-time.Hour).Unix()}), token.ReasonExpired, "expired"},
		{"expired on connect", "connect", sign(testKey, jwt.MapClaims{"aud": aud, "exp": time.Now().Add(-time.Hour).Unix()}), token.ReasonExpired, "expired"},
		{"other hub", "negotiate", h.clientToken("news", "u", nil), token.ReasonAudience, "audience"},
		{"no exp", "connect", sign(testKey, jwt.MapClaims{"aud": aud}), token.ReasonNoExp, "required claim"},
		{"too long", "negotiate", sign(testKey, jwt.MapClaims{"aud": aud, "exp": exp, "pad": strings.Repeat("x", token.MaxLength)}), token.ReasonTooLong, "too long"},
		{"user too long", "connect", sign(testKey, jwt.MapClaims{"aud": aud, "exp": exp, "asrs.s.uid": strings.Repeat("u", maxUserLen+1)}), token.ReasonUserTooLong, "user id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			method, path := http.MethodPost, "/client/negotiate?hub=chat&negotiateVersion=1"
			if tt.route == "connect" {
				method, path = http.MethodGet, "/client/?hub=chat&id=someconnectiontoken"
			}
			req, _ := http.NewRequest(method, h.srv.URL+path, nil)
			if tt.tok != "" {
				req.Header.Set("Authorization", "Bearer "+tt.tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			recs := refusalRecords(t, logs)
			if len(recs) != 1 {
				t.Fatalf("want one refusal record, got %d: %s", len(recs), logs.String())
			}
			r := recs[0]
			for k, v := range map[string]any{"level": "WARN", "hubName": "chat", "route": tt.route, "reasonLabel": tt.label, "callerIpAddress": "127.0.0.1"} {
				if r[k] != v {
					t.Errorf("%s = %v, want %v: %s", k, r[k], v, logs.String())
				}
			}
			if s, _ := r["message"].(string); !strings.Contains(s, tt.reason) {
				t.Errorf("message %q does not contain %q", s, tt.reason)
			}
			for _, old := range []string{"hub", "remoteAddr", "reason"} {
				if _, ok := r[old]; ok {
					t.Errorf("the record still has %q: %s", old, logs.String())
				}
			}
			if tt.tok != "" && strings.Contains(logs.String(), tt.tok) {
				t.Errorf("the token appears in the log: %s", logs.String())
			}
			if got := m.take(); len(got) != 1 || got[EndpointClient+"/"+tt.label] != 1 {
				t.Errorf("counts %v, want client/%s once", got, tt.label)
			}
		})
	}
}

package httpapi_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/token"
)

// authCounts records AuthRefused calls; it implements RESTMetrics too.
type authCounts struct {
	mu sync.Mutex
	n  map[string]int // "endpoint/reason"
}

func (c *authCounts) AuthRefused(endpoint, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[endpoint+"/"+reason]++
}

func (c *authCounts) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	return n
}

func (*authCounts) Request(string, string, int, time.Duration)    {}
func (*authCounts) Published(*bus.Envelope, time.Duration, error) {}

// jsonRecords parses the JSON log lines written to buf.
func jsonRecords(t *testing.T, buf *testsupport.Buffer) []map[string]any {
	t.Helper()
	recs, err := buf.Records("")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkAuthRecord asserts buf holds exactly one record, the Warn refusal
// record with want's fields, and that the token appears nowhere in it.
func checkAuthRecord(t *testing.T, buf *testsupport.Buffer, tok string, want map[string]any) {
	t.Helper()
	recs := jsonRecords(t, buf)
	if len(recs) != 1 {
		t.Fatalf("want one record, got %d: %s", len(recs), buf.String())
	}
	r := recs[0]
	if r["level"] != "WARN" {
		t.Errorf("level %v, want WARN: %s", r["level"], buf.String())
	}
	for k, v := range want {
		if k == "message" {
			if s, _ := r[k].(string); !strings.Contains(s, v.(string)) {
				t.Errorf("message %q does not contain %q", s, v)
			}
			continue
		}
		if r[k] != v {
			t.Errorf("%s = %v, want %v: %s", k, r[k], v, buf.String())
		}
	}
	if _, ok := want["callerIpAddress"]; !ok {
		if a, _ := r["callerIpAddress"].(string); a == "" || strings.Contains(a, ":") {
			t.Errorf("callerIpAddress %q, want an IPv4 address without port: %s", a, buf.String())
		}
	}
	for _, old := range []string{"hub", "remoteAddr", "reason"} {
		if _, ok := r[old]; ok {
			t.Errorf("the record still has %q: %s", old, buf.String())
		}
	}
	if tok != "" && strings.Contains(buf.String(), tok) {
		t.Errorf("the token appears in the log: %s", buf.String())
	}
}

// TestRESTAuthRefusalLogged: every refused REST token leaves one Warn
// record with the route, hub, client address and reason, never the token,
// and one count by reason.
func TestRESTAuthRefusalLogged(t *testing.T) {
	var buf testsupport.Buffer
	counts := &authCounts{}
	f := newFixture(t, func(c *httpapi.RESTConfig) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Metrics = counts
	})
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	aud := "http://localhost/api/hubs/chat/:send?api-version=2022-06-01"
	past := func() time.Time { return time.Now().Add(-3 * time.Hour) }
	long, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": aud,
		"exp": time.Now().Add(time.Hour).Unix(), "pad": strings.Repeat("x", token.MaxLength)}).SignedString([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target, tok, label, reason string
	}{
		{"missing", target, "", token.ReasonMissing, "no access token"},
		{"malformed", target, "abc.defghijk", token.ReasonMalformed, "malformed"},
		{"signature", target, issue(t, "another-key-entirely", aud, nil, 0, nil), token.ReasonSignature, "signature"},
		{"expired", target, issue(t, testKey, aud, nil, time.Hour, past), token.ReasonExpired, "expired"},
		{"audience", target, issue(t, testKey, "http://localhost/api/hubs/other/:send", nil, 0, nil), token.ReasonAudience, "expected"},
		{"wrong kind", "/api/hubs/chat/users/client", issue(t, testKey, "http://localhost/client/?hub=chat", nil, 0, nil), token.ReasonWrongKind, "client access token"},
		{"too long", target, long, token.ReasonTooLong, "too long"},
		{"no exp", target, issueNoExp(t, testKey, aud), token.ReasonNoExp, "exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			var hdr []string
			if tt.tok != "" {
				hdr = bearerHdr(tt.tok)
			}
			method := "POST"
			if strings.HasSuffix(tt.target, "/client") {
				method = "HEAD"
			}
			w := serve(f.h, method, tt.target, `{"target":"m"}`, hdr...)
			if w.Code != 401 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			checkAuthRecord(t, &buf, tt.tok, map[string]any{
				"msg": httpapi.LogAuthenticationFailed, "hubName": "chat", "status": float64(401),
				"reasonLabel": tt.label, "message": tt.reason,
			})
			if r := jsonRecords(t, &buf)[0]; r["route"] == "" || r["route"] == nil || r["trace"] == nil {
				t.Errorf("no route or trace: %s", buf.String())
			}
			if got := counts.take(); len(got) != 1 || got["rest/"+tt.label] != 1 {
				t.Errorf("counts %v, want rest/%s once", got, tt.label)
			}
		})
	}
}

// TestNegotiateAuthRefusalLogged: a refused app token leaves one Warn
// record (authorization failed for a scope refusal), never the token.
func TestNegotiateAuthRefusalLogged(t *testing.T) {
	app, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	var buf testsupport.Buffer
	counts := &authCounts{}
	h := newNegotiate(t, httpapi.NegotiateConfig{App: app, Metrics: counts,
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	past := func() time.Time { return time.Now().Add(-3 * time.Hour) }
	tests := []struct {
		name, tok, label, msg, reason string
		status                        int
	}{
		{"missing", "", token.ReasonMissing, httpapi.LogAuthenticationFailed, "Bearer", 401},
		{"signature", issue(t, "not-the-secret", "my-app", map[string]any{"sub": "a"}, time.Hour, nil), token.ReasonSignature, httpapi.LogAuthenticationFailed, "signature", 401},
		{"expired", issue(t, appSecret, "my-app", map[string]any{"sub": "a"}, time.Hour, past), token.ReasonExpired, httpapi.LogAuthenticationFailed, "expired", 401},
		{"scope", issue(t, appSecret, "my-app", map[string]any{"sub": "a", httpapi.ClaimHubs: "news"}, time.Hour, nil), token.ReasonScope, httpapi.LogAuthorizationFailed, "does not allow hub", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			var hdr []string
			if tt.tok != "" {
				hdr = bearerHdr(tt.tok)
			}
			w := serve(h, "POST", "/api/negotiate?hub=chat&negotiateVersion=1", "", hdr...)
			if w.Code != tt.status {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			checkAuthRecord(t, &buf, tt.tok, map[string]any{
				"msg": tt.msg, "hubName": "chat", "route": "negotiate", "status": float64(tt.status),
				"reasonLabel": tt.label, "message": tt.reason,
			})
			if got := counts.take(); len(got) != 1 || got["negotiate/"+tt.label] != 1 {
				t.Errorf("counts %v, want negotiate/%s once", got, tt.label)
			}
		})
	}
}

// TestAuthRefusalBehindProxy: behind ForwardedHops trusted proxies the
// refusal records name the client's IP the proxies saw (without port);
// without them X-Forwarded-For is the caller's to forge and is ignored.
func TestAuthRefusalBehindProxy(t *testing.T) {
	const xff = "198.51.100.66, 203.0.113.7, 10.0.0.2" // forged, client, first proxy
	for _, tt := range []struct {
		name string
		hops int
		want string
	}{
		{"two proxies", 2, "203.0.113.7"},
		{"one proxy", 1, "10.0.0.2"},
		{"none", 0, "192.0.2.1"}, // httptest's peer
		{"more hops than entries", 4, "192.0.2.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf testsupport.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			f := newFixture(t, func(c *httpapi.RESTConfig) { c.Logger, c.ForwardedHops = log, tt.hops })
			w := serve(f.h, "POST", "/api/hubs/chat/:send?api-version=2022-06-01", `{"target":"m"}`, "X-Forwarded-For", xff)
			if w.Code != 401 {
				t.Fatalf("REST status %d", w.Code)
			}
			checkAuthRecord(t, &buf, "", map[string]any{"msg": httpapi.LogAuthenticationFailed, "callerIpAddress": tt.want})
			buf.Reset()
			n := newNegotiate(t, httpapi.NegotiateConfig{App: mustHMACApp(t), Logger: log, ForwardedHops: tt.hops})
			if w := serve(n, "POST", "/api/negotiate?hub=chat", "", "X-Forwarded-For", xff); w.Code != 401 {
				t.Fatalf("negotiate status %d", w.Code)
			}
			checkAuthRecord(t, &buf, "", map[string]any{"msg": httpapi.LogAuthenticationFailed, "callerIpAddress": tt.want})
		})
	}
}

// TestForwardedHopsNegative: a negative hop count is refused.
func TestForwardedHopsNegative(t *testing.T) {
	b := bus.NewMemory(bus.MemoryConfig{})
	defer func() { _ = b.Close() }()
	_, err := httpapi.NewREST(httpapi.RESTConfig{Bus: b, Verifier: newVerifier(t, testKey),
		Issuer: newIssuer(t, testKey, nil), ForwardedHops: -1})
	if err == nil || !strings.Contains(err.Error(), "ForwardedHops") {
		t.Errorf("NewREST with ForwardedHops -1: %v, want an error naming it", err)
	}
}

func mustHMACApp(t *testing.T) token.AppVerifier {
	t.Helper()
	app, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

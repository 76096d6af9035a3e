package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

const appSecret = "app-secret-for-tests"

func newNegotiate(t *testing.T, cfg httpapi.NegotiateConfig) http.Handler {
	t.Helper()
	cs, err := connstr.Parse("Endpoint=http://localhost;Port=8888;AccessKey=" + testKey + ";Version=1.0;")
	if err != nil {
		t.Fatal(err)
	}
	b, err := conninfo.New(conninfo.Config{ConnectionString: cs})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Binding = b
	h, err := httpapi.NewNegotiate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type negotiateBody struct {
	URL         string `json:"url"`
	AccessToken string `json:"accessToken"`
}

// okNegotiate checks a 200 answer and returns the body and token claims.
func okNegotiate(t *testing.T, w *httptest.ResponseRecorder, hub string) (negotiateBody, token.Claims) {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var b negotiateBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	claims, err := newVerifier(t, testKey).Verify(b.AccessToken, token.Audience{Path: "/client/", Hub: hub, Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	return b, claims
}

func TestNegotiateDevMode(t *testing.T) {
	h := newNegotiate(t, httpapi.NegotiateConfig{})
	tests := []struct {
		name    string
		method  string
		target  string
		hdr     []string
		wantURL string
		user    string
	}{
		{"js client", "POST", "/api/negotiate?hub=Chat&negotiateVersion=1", nil, "http://localhost:8888/client/?hub=chat", ""},
		// The client adds useStatefulReconnect to every hop itself: the
		// redirect neither refuses nor needs to carry it.
		{"stateful js client", "POST", "/api/negotiate?hub=chat&negotiateVersion=1&useStatefulReconnect=true", nil, "http://localhost:8888/client/?hub=chat", ""},
		{"user header", "POST", "/api/negotiate?hub=chat", []string{"x-ms-signalr-userid", "alice"}, "http://localhost:8888/client/?hub=chat", "alice"},
		{"user query", "GET", "/api/negotiate?hub=chat&userId=bob", nil, "http://localhost:8888/client/?hub=chat", "bob"},
		{"header wins", "POST", "/api/negotiate?hub=chat&userId=bob", []string{"x-ms-signalr-userid", "alice"}, "http://localhost:8888/client/?hub=chat", "alice"},
		{"application", "POST", "/api/negotiate?hub=Chat&application=App", nil, "http://localhost:8888/client/?hub=app_chat", ""},
		{"forwarded", "POST", "/api/negotiate?hub=chat", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "signalr.example.com, proxy"}, "https://signalr.example.com/client/?hub=chat", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.method, tt.target, "", tt.hdr...)
			hub := "chat"
			if strings.Contains(tt.target, "application") {
				hub = "app_chat"
			}
			b, claims := okNegotiate(t, w, hub)
			if b.URL != tt.wantURL {
				t.Errorf("url %q, want %q", b.URL, tt.wantURL)
			}
			if got := claims.UserID(); got != tt.user {
				t.Errorf("user %q, want %q", got, tt.user)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("negotiate response is cacheable")
			}
		})
	}
}

func TestNegotiateErrors(t *testing.T) {
	h := newNegotiate(t, httpapi.NegotiateConfig{})
	wantError(t, serve(h, "POST", "/api/negotiate?negotiateVersion=1", ""), 400, "Error.Request.Invalid", "Missing hub")
	wantError(t, serve(h, "POST", "/api/negotiate?hub=", ""), 400, "Error.Request.Invalid", "Missing hub")
	wantError(t, serve(h, "POST", "/api/negotiate?hub=a&hub=b", ""), 400, "Error.Request.Invalid", "once")
	wantError(t, serve(h, "POST", "/api/negotiate?hub=9x", ""), 400, "Error.Request.Invalid", "Invalid hub name")
	wantError(t, serve(h, "POST", "/api/negotiate?hub=chat&application=-", ""), 400, "Error.Request.Invalid", "Invalid application")
	w := serve(h, "PUT", "/api/negotiate?hub=chat", "")
	wantError(t, w, 405, "Error.Request.MethodNotAllowed", "PUT")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
		t.Errorf("Allow %q", allow)
	}
	wantError(t, serve(h, "POST", "/api/negotiate/x?hub=chat", ""), 404, "Error.Request.NotFound", "no route")
}

func TestNegotiateAppAuth(t *testing.T) {
	app, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	h := newNegotiate(t, httpapi.NegotiateConfig{App: app, ClaimAllowList: []string{"role", "tenant"}, Lifetime: 10 * time.Minute})
	appToken := func(claims map[string]any) string {
		return issue(t, appSecret, "my-app", claims, time.Hour, nil)
	}
	const target = "/api/negotiate?hub=chat&negotiateVersion=1"

	t.Run("no token", func(t *testing.T) {
		wantError(t, serve(h, "POST", target, "", "x-ms-signalr-userid", "mallory"), 401, "Error.Request.Unauthorized", "Bearer")
	})
	t.Run("query token is not enough", func(t *testing.T) {
		wantError(t, serve(h, "POST", target+"&access_token="+appToken(map[string]any{"sub": "a"}), ""), 401, "", "Bearer")
	})
	t.Run("wrong secret", func(t *testing.T) {
		tok := issue(t, "not-the-secret", "my-app", map[string]any{"sub": "a"}, time.Hour, nil)
		wantError(t, serve(h, "POST", target, "", bearerHdr(tok)...), 401, "Error.Request.Unauthorized", "signature")
	})
	t.Run("expired", func(t *testing.T) {
		tok := issue(t, appSecret, "my-app", map[string]any{"sub": "a"}, time.Hour, func() time.Time { return time.Now().Add(-3 * time.Hour) })
		wantError(t, serve(h, "POST", target, "", bearerHdr(tok)...), 401, "Error.Request.Unauthorized", "expired")
	})
	t.Run("sub is the user, allow-listed claims copied", func(t *testing.T) {
		tok := appToken(map[string]any{"sub": "alice", "role": "admin", "email": "alice@example.com"})
		w := serve(h, "POST", target, "", append(bearerHdr(tok), "x-ms-signalr-userid", "mallory")...)
		_, claims := okNegotiate(t, w, "chat")
		if claims.UserID() != "alice" {
			t.Errorf("user %q, want alice", claims.UserID())
		}
		if claims.String("role") != "admin" {
			t.Errorf("role claim %v", claims["role"])
		}
		if _, ok := claims["email"]; ok {
			t.Error("claim outside the allow-list copied")
		}
		exp, _ := claims["exp"].(float64)
		iat, _ := claims["iat"].(float64)
		if exp-iat != 600 {
			t.Errorf("lifetime %vs, want 600", exp-iat)
		}
	})
	t.Run("fallback to nameid", func(t *testing.T) {
		w := serve(h, "POST", target, "", bearerHdr(appToken(map[string]any{"nameid": "bob"}))...)
		if _, claims := okNegotiate(t, w, "chat"); claims.UserID() != "bob" {
			t.Errorf("user %q, want bob", claims.UserID())
		}
	})
	t.Run("token too long", func(t *testing.T) {
		// The largest app token that is still valid: the client token adds
		// its own audience and user claim, and crosses the limit.
		var tok string
		for n := 2800; ; n++ {
			next, err := newIssuer(t, appSecret, nil).Issue("my-app", map[string]any{"sub": "a", "tenant": strings.Repeat("t", n)}, time.Hour)
			if err != nil {
				break
			}
			tok = next
		}
		w := serve(h, "POST", target, "", bearerHdr(tok)...)
		wantError(t, w, 413, "Error.Request.TooLarge", "ClaimAllowList")
		if e := decodeError(t, w); !strings.Contains(e.Message, "4096") {
			t.Errorf("message does not state the limit: %q", e.Message)
		}
	})
}

func TestNegotiateConfig(t *testing.T) {
	if _, err := httpapi.NewNegotiate(httpapi.NegotiateConfig{}); err == nil {
		t.Error("no Binding: no error")
	}
	cs, _ := connstr.Parse("Endpoint=http://localhost;AccessKey=" + testKey + ";")
	b, err := conninfo.New(conninfo.Config{ConnectionString: cs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := httpapi.NewNegotiate(httpapi.NegotiateConfig{Binding: b, ClientBase: "not a url"}); err == nil {
		t.Error("bad ClientBase: no error")
	}
	h, err := httpapi.NewNegotiate(httpapi.NegotiateConfig{Binding: b, ClientBase: "https://gw.example.com/prod"})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(h, "POST", "/api/negotiate?hub=chat", "")
	b2, _ := okNegotiate(t, w, "chat")
	if b2.URL != "https://gw.example.com/prod/client/?hub=chat" {
		t.Errorf("url %q", b2.URL)
	}
}

func TestCORS(t *testing.T) {
	policy, err := httpapi.NewCORSPolicy([]string{"http://app.example.com", "https://other.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	h := newNegotiate(t, httpapi.NegotiateConfig{CORS: policy})
	t.Run("preflight", func(t *testing.T) {
		w := serve(h, "OPTIONS", "/api/negotiate?hub=chat&negotiateVersion=1", "",
			"Origin", "http://app.example.com",
			"Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, x-requested-with, x-signalr-user-agent")
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
		hd := w.Header()
		if hd.Get("Access-Control-Allow-Origin") != "http://app.example.com" || hd.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("origin headers %v", hd)
		}
		allow := strings.ToLower(hd.Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "content-type", "x-requested-with", "x-signalr-user-agent", "x-ms-signalr-userid"} {
			if !strings.Contains(allow, want) {
				t.Errorf("Access-Control-Allow-Headers %q lacks %s", allow, want)
			}
		}
		if !strings.Contains(hd.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("Access-Control-Allow-Methods %q", hd.Get("Access-Control-Allow-Methods"))
		}
	})
	t.Run("actual request", func(t *testing.T) {
		w := serve(h, "POST", "/api/negotiate?hub=chat", "", "Origin", "http://app.example.com")
		okNegotiate(t, w, "chat")
		if w.Header().Get("Access-Control-Allow-Origin") != "http://app.example.com" || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("headers %v", w.Header())
		}
	})
	t.Run("error responses carry CORS too", func(t *testing.T) {
		w := serve(h, "POST", "/api/negotiate", "", "Origin", "http://app.example.com")
		if w.Code != 400 || w.Header().Get("Access-Control-Allow-Origin") != "http://app.example.com" {
			t.Errorf("status %d headers %v", w.Code, w.Header())
		}
	})
	t.Run("no origin", func(t *testing.T) {
		w := serve(h, "POST", "/api/negotiate?hub=chat", "")
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Error("CORS headers without Origin")
		}
	})
	t.Run("plain OPTIONS is not a preflight", func(t *testing.T) {
		w := serve(h, "OPTIONS", "/api/negotiate?hub=chat", "", "Origin", "http://app.example.com")
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d", w.Code)
		}
	})
}

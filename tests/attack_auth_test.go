package tests

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// The standing attack suite for listeners and tokens (SECURITY.md: idle
// and slow connections, token confusion, expiry, single use, scope, and the
// attacks that already failed kept as regressions), against real ./local
// processes on loopback. Every count is bounded; file descriptors are
// measured as a ratio against the process's own count before the attack.

// attackProcess starts the local binary (in-memory bus) with args; Cleanup
// stops it.
func attackProcess(t *testing.T, args ...string) *proc.Child {
	t.Helper()
	bin, err := localBinary()
	if err != nil {
		t.Fatalf("build ./local: %v", err)
	}
	child, err := proc.Start(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := child.Stop(); err != nil {
			t.Errorf("%s did not stop cleanly: %v", child.Addr, err)
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", child.Addr, child.Logs())
		}
	})
	return child
}

// openFDs counts the open file descriptors of process pid.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("read fds: %v", err)
	}
	return len(ents)
}

// settleFDs waits until the fd count of pid is at most limit, within d,
// and returns the last count.
func settleFDs(t *testing.T, pid, limit int, d time.Duration) int {
	t.Helper()
	var n int
	testsupport.Until(d, func() bool { n = openFDs(t, pid); return n <= limit })
	return n
}

// attackConns opens n connections to addr and writes prefix on each; they
// are closed in Cleanup.
func attackConns(t *testing.T, addr string, n int, prefix string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		conns = append(conns, c)
		if prefix != "" {
			if _, err := io.WriteString(c, prefix); err != nil {
				t.Fatalf("write: %v", err)
			}
		}
	}
	return conns
}

// adminOf returns the admin listener's host:port a process printed.
func adminOf(t *testing.T, p *proc.Child) string {
	t.Helper()
	return strings.TrimPrefix(adminURL(t, p), "http://")
}

// D4: idle keep-alive connections, slow headers and slow bodies no longer
// hold file descriptors, on the main and the admin listener.
func TestAttackIdleAndSlowConnectionsReleased(t *testing.T) {
	t.Parallel()
	const n = 150
	p := attackProcess(t, "--admin-addr", "127.0.0.1:0",
		"--http-idle-timeout", "3s", "--http-read-header-timeout", "3s", "--http-read-timeout", "3s")
	pid := p.PID()
	control := openFDs(t, pid)
	attacks := []struct {
		name, addr, prefix string
		answered           bool // the request is complete: read its response
	}{
		{"idle keep-alive after one request", p.Addr, "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"idle keep-alive on the admin listener", adminOf(t, p), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"slowloris on headers", p.Addr, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
		{"slowloris on headers, admin listener", adminOf(t, p), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
		{"slowloris on a body", p.Addr, "POST /api/hubs/chat/:send?api-version=2022-06-01 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"target\":", false},
	}
	for _, a := range attacks {
		conns := attackConns(t, a.addr, n, a.prefix)
		// Measured at once: the timeouts start as soon as the server has
		// accepted (or answered) a connection.
		held := 0
		testsupport.Until(2*time.Second, func() bool {
			held = max(held, openFDs(t, pid)-control)
			return held >= n*9/10
		})
		if held < n*9/10 {
			t.Fatalf("%s: only %d of %d connections are counted open: the measurement does not work", a.name, held, n)
		}
		if a.answered { // each got its answer before going idle
			for _, c := range conns {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatalf("%s: response: %v", a.name, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
		after := settleFDs(t, pid, control+n/50, 15*time.Second) - control
		ratio := float64(after) / float64(n)
		t.Logf("%s: %d connections held %d fds; %d left after the timeouts (ratio %.2f)", a.name, n, held, after, ratio)
		if ratio > 0.05 {
			t.Errorf("%s: %d of %d connections still held after the timeouts (ratio %.2f, want ≤ 0.05)", a.name, after, n, ratio)
		}
		for _, c := range conns {
			_ = c.Close()
		}
	}
	// The listener still serves.
	resp, err := http.Get(p.URL() + "/api/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health after the attacks: %v %v", resp, err)
	}
	_ = resp.Body.Close()
}

// tokenFor signs claims with the emulator's key and method (jwt.SigningMethodHS256 unless m).
func tokenFor(t *testing.T, claims jwt.MapClaims, m jwt.SigningMethod, key any) string {
	t.Helper()
	if m == nil {
		m = jwt.SigningMethodHS256
	}
	if key == nil {
		key = []byte(node.DevAccessKey)
	}
	tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// hourClaims returns claims with aud, nbf/iat now and exp in an hour, plus extra.
func hourClaims(aud string, extra jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"aud": aud, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// call sends method to u with the bearer token (none when "") and returns the status and body.
func call(t *testing.T, method, u, tok string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// clientNegotiate calls the gateway's negotiate at path for hub with tok
// and returns the status and the connection token.
func clientNegotiate(t *testing.T, base, path, hub, tok string) (int, string) {
	t.Helper()
	code, body := call(t, http.MethodPost, base+path+"?hub="+hub+"&negotiateVersion=1", tok)
	var nr struct{ ConnectionToken string }
	_ = json.Unmarshal([]byte(body), &nr)
	return code, nr.ConnectionToken
}

// Tokens: D5 (a REST token is never a client token), exp required, the
// application of REST tokens, single-use connection tokens, cross-hub
// connection tokens, and the attacks that held (alg none and confusion,
// wrong keys, audience tricks).
func TestAttackTokens(t *testing.T) {
	t.Parallel()
	p := attackProcess(t)
	base := p.URL()
	clientAud := func(hub string) string { return "http://localhost/client/?hub=" + hub }
	sendURL := base + "/api/hubs/chat/:send?api-version=2022-06-01"
	sendAud := "http://localhost/api/hubs/chat/:send?api-version=2022-06-01"
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	noneTok, err := jwt.NewWithClaims(jwt.SigningMethodNone, hourClaims(clientAud("secrethub"), nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	// Client side: negotiate at the gateway.
	clientCases := []struct {
		name, path, hub, tok string
		want                 int
	}{
		{"D5: REST token through a path ending like its audience", "/client/api/hubs/chat/users/client/negotiate", "secrethub",
			tokenFor(t, hourClaims("http://localhost/api/hubs/chat/users/client?api-version=2022-06-01", nil), nil, nil), 401},
		{"D5: v1 REST token through a path ending like its audience", "/client/api/v1/hubs/chat/users/client/negotiate", "secrethub",
			tokenFor(t, hourClaims("http://localhost/api/v1/hubs/chat/users/client", nil), nil, nil), 401},
		{"REST token on the client endpoint", "/client/negotiate", "chat", tokenFor(t, hourClaims(sendAud, nil), nil, nil), 401},
		{"client token without exp", "/client/negotiate", "chat", tokenFor(t, jwt.MapClaims{"aud": clientAud("chat")}, nil, nil), 401},
		{"alg none", "/client/negotiate", "secrethub", noneTok, 401},
		{"RS256 token", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("secrethub"), nil), jwt.SigningMethodRS256, rsaKey), 401},
		{"HS384 not accepted", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("secrethub"), nil), jwt.SigningMethodHS384, nil), 401},
		{"wrong key", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("secrethub"), nil), nil, []byte("not-the-access-key")), 401},
		{"audience of another hub", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("chat"), nil), nil, nil), 401},
		{"audience with two hubs", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("chat")+"&hub=secrethub", nil), nil, nil), 401},
		{"audience without hub", "/client/negotiate", "secrethub", tokenFor(t, hourClaims("http://localhost/client/", nil), nil, nil), 401},
		{"audience on another path", "/client/negotiate", "secrethub", tokenFor(t, hourClaims("http://localhost/clientx/?hub=secrethub", nil), nil, nil), 401},
		{"expired beyond the leeway", "/client/negotiate", "chat", tokenFor(t, jwt.MapClaims{"aud": clientAud("chat"), "exp": time.Now().Add(-6 * time.Minute).Unix()}, nil, nil), 401},
		{"expired within the 5-minute leeway", "/client/negotiate", "chat", tokenFor(t, jwt.MapClaims{"aud": clientAud("chat"), "exp": time.Now().Add(-time.Minute).Unix()}, nil, nil), 200},
		{"control: the right client token", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("secrethub"), nil), nil, nil), 200},
		{"control: HS512", "/client/negotiate", "secrethub", tokenFor(t, hourClaims(clientAud("secrethub"), nil), jwt.SigningMethodHS512, nil), 200},
	}
	for _, c := range clientCases {
		if code, _ := clientNegotiate(t, base, c.path, c.hub, c.tok); code != c.want {
			t.Errorf("%s: negotiate %d, want %d", c.name, code, c.want)
		}
	}

	// REST side.
	restCases := []struct {
		name, url, tok string
		want           int
	}{
		{"REST token without exp", sendURL, tokenFor(t, jwt.MapClaims{"aud": sendAud}, nil, nil), 401},
		{"application-less token on an application's hub", base + "/api/hubs/chat/:send?application=app&api-version=2022-06-01", tokenFor(t, hourClaims(sendAud, nil), nil, nil), 401},
		{"token of another application", base + "/api/hubs/chat/:send?application=app&api-version=2022-06-01",
			tokenFor(t, hourClaims("http://localhost/api/hubs/chat/:send?application=other&api-version=2022-06-01", nil), nil, nil), 401},
		{"client token on a REST path ending in client", base + "/api/hubs/chat/users/client?api-version=2022-06-01", tokenFor(t, hourClaims(clientAud("chat"), nil), nil, nil), 401},
		{"alg none on REST", sendURL, func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, hourClaims(sendAud, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(), 401},
		{"token for another route", sendURL, tokenFor(t, hourClaims("http://localhost/api/hubs/chat/groups/g/:send?api-version=2022-06-01", nil), nil, nil), 401},
		{"control: application token", base + "/api/hubs/chat/:send?application=app&api-version=2022-06-01",
			tokenFor(t, hourClaims("http://localhost/api/hubs/chat/:send?application=app&api-version=2022-06-01", nil), nil, nil), 202},
	}
	for _, c := range restCases {
		req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(`{"target":"t","arguments":[]}`))
		req.Header.Set("Authorization", "Bearer "+c.tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}

	// Cross-hub connection token: negotiated for chat, used on secrethub.
	chatTok := tokenFor(t, hourClaims(clientAud("chat"), nil), nil, nil)
	secretTok := tokenFor(t, hourClaims(clientAud("secrethub"), nil), nil, nil)
	_, connTok := clientNegotiate(t, base, "/client/negotiate", "chat", chatTok)
	if code, _ := call(t, http.MethodGet, base+"/client/?hub=secrethub&id="+url.QueryEscape(connTok), secretTok); code != http.StatusNotFound {
		t.Errorf("connection token of hub chat on hub secrethub: %d, want 404", code)
	}

	// Single-use: a Long Polling connection opened and stopped; its token
	// opens nothing afterwards.
	connURL := base + "/client/?hub=chat&id=" + url.QueryEscape(connTok)
	if code, body := call(t, http.MethodGet, connURL, chatTok); code != http.StatusOK {
		t.Fatalf("first poll: %d %s", code, body)
	}
	if code, body := call(t, http.MethodDelete, connURL, chatTok); code != http.StatusAccepted {
		t.Fatalf("stop: %d %s", code, body)
	}
	testsupport.Eventually(t, wait, "409 for the token of an ended connection", func() error {
		code, body := call(t, http.MethodGet, connURL, chatTok)
		if code == http.StatusOK && body == "" {
			t.Fatalf("connection token reused after its connection ended: %d %q, want 409", code, body)
		}
		if code != http.StatusConflict { // 204 while the stopped connection is ending
			return fmt.Errorf("got %d %q, want 409", code, body)
		}
		return nil
	})
}

// With app authentication, the herald.hubs and herald.applications claims
// of the app token restrict what its bearer negotiates.
func TestAttackAppTokenScope(t *testing.T) {
	t.Parallel()
	const secret = "attack-app-secret"
	p := attackProcess(t, "--app-secret", secret)
	negotiate := func(query string, scope jwt.MapClaims) int {
		t.Helper()
		claims := jwt.MapClaims{"sub": "mallory", "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range scope {
			claims[k] = v
		}
		code, _ := call(t, http.MethodPost, p.URL()+"/api/negotiate?"+query, tokenFor(t, claims, nil, []byte(secret)))
		return code
	}
	if got := negotiate("hub=secrethub", jwt.MapClaims{"herald.hubs": []string{"chat"}}); got != http.StatusForbidden {
		t.Errorf("hub outside herald.hubs: %d, want 403", got)
	}
	if got := negotiate("hub=chat&application=other", jwt.MapClaims{"herald.applications": []string{"app"}}); got != http.StatusForbidden {
		t.Errorf("application outside herald.applications: %d, want 403", got)
	}
	if got := negotiate("hub=chat", jwt.MapClaims{"herald.hubs": []string{"chat"}}); got != http.StatusOK {
		t.Errorf("control, hub inside herald.hubs: %d, want 200", got)
	}
	if got := negotiate("hub=chat", jwt.MapClaims{"exp": nil}); got != http.StatusUnauthorized {
		t.Errorf("app token without exp: %d, want 401", got)
	}
}

// /metrics is not on the public listener by default; switched on, it names
// no hub.
func TestAttackPublicMetrics(t *testing.T) {
	t.Parallel()
	plain := attackProcess(t)
	if code, _ := call(t, http.MethodGet, plain.URL()+"/metrics", ""); code == http.StatusOK {
		t.Errorf("public /metrics answered 200 by default")
	}
	pub := attackProcess(t, "--public-metrics")
	// A live connection in hub secrethub (Long Polling, first poll).
	tok := tokenFor(t, hourClaims("http://localhost/client/?hub=secrethub", nil), nil, nil)
	_, connTok := clientNegotiate(t, pub.URL(), "/client/negotiate", "secrethub", tok)
	connURL := pub.URL() + "/client/?hub=secrethub&id=" + url.QueryEscape(connTok)
	if code, _ := call(t, http.MethodGet, connURL, tok); code != http.StatusOK {
		t.Fatalf("open a Long Polling connection: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, connURL, strings.NewReader("{\"protocol\":\"json\",\"version\":1}\x1e"))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	_ = resp.Body.Close()
	var body string
	testsupport.Eventually(t, wait, "--public-metrics: herald_connections", func() error {
		var code int
		if code, body = call(t, http.MethodGet, pub.URL()+"/metrics", ""); code != http.StatusOK {
			t.Fatalf("--public-metrics: /metrics %d", code)
		}
		if !strings.Contains(body, "herald_connections{") {
			return fmt.Errorf("not in:\n%.500s", body)
		}
		return nil
	})
	if strings.Contains(body, "secrethub") || strings.Contains(body, `hub="`) {
		t.Errorf("public /metrics names hubs")
	}
}

package tests

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// azureCommonIssues are the headings of Azure SignalR Service's
// troubleshooting guide for common issues
// (https://learn.microsoft.com/azure/azure-signalr/signalr-howto-troubleshoot-guide),
// in its order: docs/troubleshooting.md answers each in one table row.
var azureCommonIssues = []string{
	"Access token too long",
	"TLS 1.2 required",
	"400 Bad Request returned for client requests",
	"401 Unauthorized returned for client requests",
	"404 returned for client requests",
	"404 returned for ASP.NET SignalR's reconnect request",
	"429 (Too Many Requests) returned for client requests",
	"500 Error when negotiate: Azure SignalR Service is not connected yet, please try again later",
	"Client connection drops",
	"Client connection increases constantly",
	"Server connection drops",
	"Thread pool starvation",
}

const (
	azureIssuesDoc   = "../docs/troubleshooting.md"
	azureIssuesBegin = "<!-- azure-issues:begin -->"
	azureIssuesEnd   = "<!-- azure-issues:end -->"
)

// answer is one thing Herald answers: an HTTP status with its body's text
// (a JSON body's message), or a Close message's error (status 0).
type answer struct {
	status int
	text   string
}

// answerInDoc finds the answers a table cell states: "401 `text`" for an
// HTTP answer, "Close `text`" for a Close message.
var answerInDoc = regexp.MustCompile("(\\d{3}|Close) `([^`]+)`")

// TestTroubleshootingAzureIssues keeps the table of Azure's common issues in
// docs/troubleshooting.md true: one row per heading of Azure's guide, in
// its order, each with Herald's answer, the resource log record, the metric
// and the live trace view; and every status and text a row states is what
// Herald answers. The answers come from requests to a real emulator where
// a request shows them, else from the constants the code sends (whose own
// tests check them against real responses). A row that states an answer
// Herald does not give, or leaves out one it gives, fails.
func TestTroubleshootingAzureIssues(t *testing.T) {
	t.Parallel()
	rows := azureIssueRows(t)
	want := heraldAnswers(t)
	for i, name := range azureCommonIssues {
		if i >= len(rows) {
			t.Errorf("no row for Azure's %q", name)
			continue
		}
		row := rows[i]
		if row[0] != name {
			t.Errorf("row %d is %q, want Azure's %q (in the guide's order)", i+1, row[0], name)
			continue
		}
		for j, cell := range row {
			if strings.TrimSpace(cell) == "" {
				t.Errorf("row %q: column %d is empty (say \"none\" and why)", name, j+1)
			}
		}
		stated := map[answer]bool{}
		for _, m := range answerInDoc.FindAllStringSubmatch(row[2], -1) {
			a := answer{text: m[2]}
			if m[1] != "Close" {
				a.status, _ = strconv.Atoi(m[1])
			}
			stated[a] = true
		}
		for _, w := range want[name] {
			found := false
			for s := range stated {
				if s.status == w.status && docTextMatches(s.text, w.text) {
					found, stated[s] = true, false
				}
			}
			if !found {
				t.Errorf("row %q does not state Herald's answer %s", name, w)
			}
		}
		for s, unmatched := range stated {
			if unmatched {
				t.Errorf("row %q states %s, which Herald does not answer for it", name, s)
			}
		}
	}
	if len(rows) > len(azureCommonIssues) {
		t.Errorf("%d rows for %d headings of Azure's guide", len(rows), len(azureCommonIssues))
	}
}

func (a answer) String() string {
	if a.status == 0 {
		return "Close `" + a.text + "`"
	}
	return strconv.Itoa(a.status) + " `" + a.text + "`"
}

// docTextMatches reports whether a text in the doc, where "…" stands for
// any run of characters, is the text Herald answered.
func docTextMatches(doc, got string) bool {
	parts := strings.Split(doc, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*?") + "$").MatchString(got)
}

// azureIssueRows reads the table between the markers: the cells of each
// row, the first reduced to its bold heading.
func azureIssueRows(t *testing.T) [][]string {
	t.Helper()
	raw, err := os.ReadFile(azureIssuesDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, azureIssuesBegin), strings.Index(doc, azureIssuesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no table between %q and %q", azureIssuesDoc, azureIssuesBegin, azureIssuesEnd)
	}
	var rows [][]string
	sc := bufio.NewScanner(strings.NewReader(doc[i:j]))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| **") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 5 {
			t.Fatalf("row with %d cells, want 5 (symptom, answer, log, metric, live trace): %s", len(cells), line)
		}
		head := strings.TrimPrefix(strings.TrimSpace(cells[0]), "**")
		head, _, _ = strings.Cut(head, "**")
		// Cells: heading, Azure's errors (the rest of the first cell), Herald's
		// answer, log, metric, live trace.
		rows = append(rows, append([]string{head, cells[0]}, cells[1:]...))
	}
	return rows
}

// heraldAnswers returns, per heading of Azure's guide, what Herald answers.
func heraldAnswers(t *testing.T) map[string][]answer {
	t.Helper()
	logs := &testsupport.Buffer{}
	cfg := node.Config{Addr: "127.0.0.1:0", AppSecret: strings.Repeat("s", 32), ClaimAllowList: []string{"big", "sub"},
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	cfg.Gateway.NegotiateRate = 1
	srv, _ := runEmulator(t, cfg)
	base := srv.URL()
	do := func(method, path string, header ...string) answer {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		text := strings.TrimSpace(string(b))
		var j struct{ Message string }
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && json.Unmarshal(b, &j) == nil {
			text = j.Message
		}
		if resp.StatusCode == http.StatusTemporaryRedirect {
			text = "Location: " + resp.Header.Get("Location")
		}
		return answer{resp.StatusCode, text}
	}
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	appToken := func(claims jwt.MapClaims) string {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(strings.Repeat("s", 32)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	clientToken := func(exp time.Time) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": base + "/client/?hub=chat", "exp": exp.Unix()}).
			SignedString([]byte(node.DevAccessKey))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var negotiateLimit answer
	for range 20 { // at 1 per second, two in a row meet the limit unless a second began between them
		if negotiateLimit = do("POST", "/client/negotiate?hub=chat&negotiateVersion=1", "Authorization", "Bearer "+clientToken(time.Now().Add(time.Hour))); negotiateLimit.status == http.StatusTooManyRequests {
			break
		}
	}

	return map[string][]answer{
		"Access token too long": {
			do("POST", "/api/negotiate?hub=chat", "Authorization", "Bearer "+appToken(jwt.MapClaims{"sub": strings.Repeat("u", 1000), "big": strings.Repeat("b", 1800)})),
			do("POST", "/client/negotiate?hub=chat&negotiateVersion=1", "Authorization", "Bearer eyJ"+strings.Repeat("a", 5000)),
			// Over MaxHeaderBytes plus what Go's server reads ahead (4 KiB, and up
			// to 4 KiB more buffered on a reused connection).
			do("POST", "/client/negotiate?hub=chat&negotiateVersion=1", "X-Big", strings.Repeat("a", 25<<10)),
		},
		"400 Bad Request returned for client requests": {
			do("POST", "/client/negotiate?hub=chat&hub=other&negotiateVersion=1"),
		},
		"401 Unauthorized returned for client requests": {
			do("POST", "/client/negotiate?hub=chat&negotiateVersion=1", "Authorization", "Bearer "+clientToken(time.Now().Add(-10*time.Minute))),
			{0, gateway.ReasonTokenExpired},
		},
		"404 returned for client requests": {
			do("GET", "/api?hub=chat", upgrade...),
			do("GET", "/client/?hub=chat", upgrade...),
			{http.StatusNotFound, gateway.TextNoConnection + gateway.TextConnectTooLate},
		},
		"404 returned for ASP.NET SignalR's reconnect request": {
			do("GET", "/signalr/reconnect?transport=webSockets"),
		},
		"429 (Too Many Requests) returned for client requests": {
			{http.StatusTooManyRequests, gateway.ReasonConnectionLimit},
			negotiateLimit,
		},
		"500 Error when negotiate: Azure SignalR Service is not connected yet, please try again later": {
			{http.StatusServiceUnavailable, httpapi.ErrTextNoGateway},
		},
		"Client connection drops": {
			{0, gateway.ReasonPingTimeout}, {0, gateway.ReasonProtocolError}, {0, gateway.ReasonInternal}, {0, gateway.ReasonServiceReloading},
		},
		"Client connection increases constantly": {
			{http.StatusTooManyRequests, gateway.ReasonConnectionLimit},
		},
		"Server connection drops": {
			do("GET", "/server/?hub=chat", upgrade...),
		},
	}
}

// Herald's TLS listener refuses TLS below 1.2 at the handshake, and the
// warning the troubleshooting guide names is written.
func TestTroubleshootingTLSRecord(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	logs := &testsupport.Buffer{}
	srv, _ := runEmulator(t, node.Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL(), "https://"), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11})
	if err == nil {
		_ = conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	const want = "http: TLS handshake error from "
	deadline := time.Now().Add(wait)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q record:\n%s", want, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.ContainsFunc(strings.Split(logs.String(), "\n"), func(l string) bool {
		return strings.Contains(l, want) && strings.Contains(l, "level=WARN")
	}) {
		t.Errorf("the handshake error is not a warning:\n%s", logs)
	}
}

// A client serverTimeout shorter than Herald's keep-alive interval (15 s):
// the official client gives up on an idle connection itself, with its own
// "Server timeout elapsed" error. A WebSocket then shows as
// ConnectionEnded (the client sent a close frame), an event stream as lost;
// Long Polling has no server timeout and stays (docs/troubleshooting.md).
func TestShortClientServerTimeout(t *testing.T) {
	t.Parallel()
	ce := newCloseEnv(t)
	open := func(name string, tr jsclient.Transport) string {
		// The client pings every 300 ms: only the server's silence matters.
		return ce.js.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: ce.clientURL(), Transport: tr,
			Methods: []string{recv}, KeepAliveMs: 300, ServerTimeoutMs: 1000}, wait)
	}
	ws, sse := open("ws", jsclient.WebSockets), open("sse", jsclient.ServerSentEvents)
	open("lp", jsclient.LongPolling)
	const clientText = "Server timeout elapsed without receiving a message from the server."
	for _, name := range []string{"ws", "sse"} {
		if closed := ce.js.Expect(t, name, jsclient.KindClosed, wait); !strings.Contains(closed.ErrorText(), clientText) {
			t.Errorf("%s closed with %q, want %q", name, closed.ErrorText(), clientText)
		}
	}
	ce.expect(t, ws, jsclient.WebSockets, wantEnded, wait)
	ce.expect(t, sse, jsclient.ServerSentEvents, wantLost, wait)
	ce.settle(t, "lp")
	ce.checkMetrics(t)
}

// skipNegotiation with the app's URL: the official client's WebSocket gets
// the emulator's redirect, does not follow it and fails with its generic
// error, which names no status (docs/troubleshooting.md).
func TestSkipNegotiationOfficialClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.js.Connect(jsclient.ConnectOptions{Name: "skip", URL: e.clientURL(), Transport: jsclient.WebSockets,
		SkipNegotiation: true, Methods: []string{recv}}); err != nil {
		t.Fatal(err)
	}
	ev := e.js.ExpectFunc(t, wait, "connect result of skip", func(ev jsclient.Event) bool {
		return ev.Name == "skip" && (ev.Kind == jsclient.KindConnected || (ev.Kind == jsclient.KindError && ev.Op == "connect"))
	})
	const want = "WebSocket failed to connect. The connection could not be found on the server, "
	if ev.Kind != jsclient.KindError || !strings.Contains(ev.Message, want) {
		t.Fatalf("skipNegotiation: %s %q, want an error with %q", ev.Kind, ev.Message, want)
	}
}

package node

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

// short are limits small enough to pass several times within a test.
var short = HTTPLimits{
	ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
	WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond,
}

// closedWithin reports whether the server closes c within d: a read
// returns EOF (or a reset) rather than the test's own deadline.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// An idle keep-alive connection after one request, a connection stuck in
// its headers and one stuck in its body are closed, on the main and the
// admin listener; a healthy connection keeps working meanwhile.
func TestListenersCloseIdleAndSlowConnections(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", HTTP: short})
	defer func() { _ = stop() }()
	admin := strings.TrimPrefix(s.AdminURL(), "http://")
	main := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))
	for _, addr := range []string{main, admin} {
		idle := dial(t, addr)
		if _, err := io.WriteString(idle, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
		if err != nil || resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: first request: %v %v", addr, resp, err)
		}
		if !closedWithin(t, idle, 10*time.Second) {
			t.Errorf("%s: an idle keep-alive connection was held past the idle timeout", addr)
		}
		headers := dial(t, addr)
		_, _ = io.WriteString(headers, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		if !closedWithin(t, headers, 10*time.Second) {
			t.Errorf("%s: a connection stuck in its headers was held", addr)
		}
	}
	body := dial(t, main)
	_, _ = io.WriteString(body, "POST /api/hubs/chat/:send?api-version=2022-06-01 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"target\":")
	if !closedWithin(t, body, 10*time.Second) {
		t.Errorf("a connection stuck in its body was held")
	}
}

// Streams outlive the whole-request timeouts: a Server-Sent Events
// connection open for several read and write timeouts still receives.
func TestStreamsOutliveRequestTimeouts(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0", HTTP: short})
	defer func() { _ = stop() }()
	base := "http://127.0.0.1:" + strconv.Itoa(s.Port())
	resp, err := http.Post(base+"/api/negotiate?hub=chat", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ AccessToken string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	_ = resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var neg struct{ ConnectionToken string }
	_ = json.NewDecoder(resp.Body).Decode(&neg)
	_ = resp.Body.Close()
	connURL := base + "/client/?hub=chat&id=" + neg.ConnectionToken + "&access_token=" + url.QueryEscape(info.AccessToken)
	req, _ = http.NewRequest(http.MethodGet, connURL, nil)
	req.Header.Set("Accept", "text/event-stream")
	sse, err := http.DefaultClient.Do(req)
	if err != nil || sse.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %v %v", sse, err)
	}
	defer sse.Body.Close()
	lines := bufio.NewReader(sse.Body)
	hs, err := http.Post(connURL, "text/plain", strings.NewReader("{\"protocol\":\"json\",\"version\":1}\x1e"))
	if err != nil {
		t.Fatal(err)
	}
	_ = hs.Body.Close()
	time.Sleep(5 * short.ReadTimeout)

	iss, _ := token.NewIssuer(token.IssuerConfig{Key: DevAccessKey})
	sendURL := base + "/api/hubs/chat/:send?api-version=2022-06-01"
	rest, _ := iss.Issue(strings.Replace(sendURL, "127.0.0.1", "localhost", 1), nil, 0)
	req, _ = http.NewRequest(http.MethodPost, sendURL, strings.NewReader(`{"target":"late","arguments":[1]}`))
	req.Header.Set("Authorization", "Bearer "+rest)
	req.Header.Set("Content-Type", "application/json")
	sent, err := http.DefaultClient.Do(req)
	if err != nil || sent.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %v %v", sent, err)
	}
	_ = sent.Body.Close()
	got := make(chan string, 1)
	go func() {
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			if strings.Contains(line, `"late"`) {
				got <- line
				return
			}
		}
	}()
	select {
	case line := <-got:
		if !strings.Contains(line, `"late"`) {
			t.Fatalf("event stream ended before the message: %s", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message on the event stream")
	}
}

// A stream answered after several read and write timeouts (a Long
// Polling poll held, then answered) still gets its answer, and its
// context is not cancelled by the passed read deadline; a request that is
// not a stream is cut by the write timeout.
func TestStreamDeadlinesWrapper(t *testing.T) {
	hold := 4 * short.WriteTimeout
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Length", "4")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("late"))
	})
	srv := &http.Server{Handler: streamDeadlines(h, short.WriteTimeout)}
	short.withDefaults().apply(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close(); <-done }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/client/?hub=chat&id=x")
	if err != nil {
		t.Fatalf("held poll: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "late" {
		t.Fatalf("held poll: %d %q, want 200 late", resp.StatusCode, b)
	}
	if resp, err := http.Get(base + "/api/hubs/chat"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if string(b) == "late" {
			t.Fatal("a request that is not a stream outlived the write timeout")
		}
	}
}

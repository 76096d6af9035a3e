package node

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// taskEndpoint stands in for the ECS agent's task metadata endpoint (an
// AWS-side component): DesiredStatus RUNNING until stopped is set.
func taskEndpoint(t *testing.T, stopped *atomic.Bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := "RUNNING"
		if stopped.Load() {
			status = "STOPPED"
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"DesiredStatus": status})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// dialHub negotiates (app, then client) and opens a JSON WebSocket
// connection to hub, as the SignalR client does.
func dialHub(t *testing.T, base, hub string) (*wsConn, func()) {
	t.Helper()
	var info struct{ URL, AccessToken string }
	postJSON(t, base+"/api/negotiate?hub="+hub, "", &info)
	u, err := url.Parse(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	var neg struct{ ConnectionToken string }
	u.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := u.Query()
	q.Set("negotiateVersion", "1")
	u.RawQuery = q.Encode()
	postJSON(t, u.String(), info.AccessToken, &neg)
	u.Scheme, u.Path = "ws", strings.TrimSuffix(u.Path, "negotiate")
	q.Del("negotiateVersion")
	q.Set("id", neg.ConnectionToken)
	u.RawQuery = q.Encode()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + info.AccessToken}}), Timeout: 5 * time.Second}
	c, br, _, err := d.Dial(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	if br != nil {
		ws.PutReader(br) // the server says nothing before the handshake
	}
	if err := wsutil.WriteClientText(c, []byte("{\"protocol\":\"json\",\"version\":1}\x1e")); err != nil {
		t.Fatal(err)
	}
	wc := &wsConn{c: c}
	if msg := wc.next(t); msg != "{}" {
		t.Fatalf("handshake answer %q", msg)
	}
	return wc, func() { _ = c.Close() }
}

func postJSON(t *testing.T, u, bearer string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

type wsConn struct {
	c   net.Conn
	buf []string
}

// next returns the next hub protocol message (without its separator).
func (w *wsConn) next(t *testing.T) string {
	t.Helper()
	for len(w.buf) == 0 {
		_ = w.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		data, err := wsutil.ReadServerText(w.c)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		for _, m := range strings.Split(string(data), "\x1e") {
			if m != "" {
				w.buf = append(w.buf, m)
			}
		}
	}
	m := w.buf[0]
	w.buf = w.buf[1:]
	return m
}

// When the task metadata endpoint reports STOPPED, the gateway drains at
// once, long before any signal: its clients get the Close message with
// allowReconnect, readiness answers 503, liveness stays 200, new
// connections get the draining answer.
func TestTaskStoppedDrains(t *testing.T) {
	var stopped atomic.Bool
	s, stop := start(t, Config{Addr: "127.0.0.1:0", TaskMetadataURL: taskEndpoint(t, &stopped), TaskMetadataInterval: 10 * time.Millisecond})
	defer func() { _ = stop() }()
	waitHealthy(t, s.URL()+"/readyz")
	if code, body := get(t, s.URL()+"/livez"); code != 200 || !strings.Contains(body, "alive") {
		t.Fatalf("livez: %d %s", code, body)
	}
	c, closeConn := dialHub(t, s.URL(), "chat")
	defer closeConn()
	var info struct{ URL, AccessToken string }
	postJSON(t, s.URL()+"/api/negotiate?hub=chat", "", &info)

	stopped.Store(true)
	for {
		msg := c.next(t)
		if strings.Contains(msg, `"type":6`) { // ping
			continue
		}
		var m struct {
			Type           int    `json:"type"`
			Error          string `json:"error"`
			AllowReconnect bool   `json:"allowReconnect"`
		}
		if err := json.Unmarshal([]byte(msg), &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != 7 || m.Error != "Service reloading, try reconnecting" || !m.AllowReconnect {
			t.Fatalf("got %s, want the Close message with allowReconnect", msg)
		}
		break
	}
	if code, _ := get(t, s.URL()+"/readyz"); code != 503 {
		t.Errorf("readyz while draining: %d, want 503", code)
	}
	if code, _ := get(t, s.URL()+"/livez"); code != 200 {
		t.Errorf("livez while draining: %d, want 200 (the process works)", code)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("client negotiate while draining: %d, want 503", resp.StatusCode)
	}
}

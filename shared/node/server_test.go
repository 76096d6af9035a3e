package node

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, cfg Config) (*Server, func() error) {
	t.Helper()
	s, err := New(Development(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s)
}

// serve runs s until the returned stop is called; stop returns Serve's
// error.
func serve(t *testing.T, s *Server) (*Server, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("Serve did not return")
			return nil
		}
	}
	return s, stop
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeAndShutdown(t *testing.T) {
	s, stop := start(t, Config{Addr: "localhost:0"})
	port := strconv.Itoa(s.Port())
	if s.URL() != "http://localhost:"+port {
		t.Fatalf("URL %q", s.URL())
	}
	want := "Endpoint=http://localhost;Port=" + port + ";AccessKey=" + DevAccessKey + ";Version=1.0;"
	if s.ConnectionString() != want {
		t.Fatalf("connection string %q, want %q", s.ConnectionString(), want)
	}
	for _, base := range []string{"http://127.0.0.1:" + port, "http://[::1]:" + port} {
		if code, _ := get(t, base+"/api/health"); code != 200 {
			// ::1 is best effort: skip it only where the machine has no IPv6 loopback.
			if strings.Contains(base, "::1") && len(s.lns) == 1 {
				continue
			}
			t.Fatalf("%s health: %d", base, code)
		}
	}
	code, body := get(t, s.URL()+"/")
	if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, s.SampleChatURL()) {
		t.Fatalf("home: %d %s", code, body)
	}
	if code, body := get(t, s.SampleChatURL()); code != 200 || !strings.Contains(body, "chat.js") {
		t.Fatalf("sample chat page: %d %s", code, body)
	}
	resp, err := http.Post(s.ClientURL("chat")[:len(s.URL())]+"/api/negotiate?hub=chat", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("negotiate: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestPrivateKeyIsNotShown(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0", AccessKeys: []string{"my-private-key-0123456789"}})
	defer func() { _ = stop() }()
	_, body := get(t, s.URL()+"/")
	if strings.Contains(body, "my-private-key") {
		t.Fatalf("home page shows the key: %s", body)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := New(Development(Config{Addr: "nonsense"})); err == nil {
		t.Fatal("bad address accepted")
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", AppSecret: "a", AppJWKSURL: "http://x"})); err == nil {
		t.Fatal("both app verifiers accepted")
	}
	bad := &upstream.Settings{Templates: []upstream.Template{{URLTemplate: "not a url"}}}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", Upstream: bad})); err == nil {
		t.Fatal("invalid upstream template accepted")
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", Role: "everything"})); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", Role: RoleFunctions})); err == nil {
		t.Fatal("functions role without a shared bus accepted")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", TLSCertFile: "cert.pem"})); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("certificate without key: %v", err)
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", TLSCertFile: "/nonexistent/c.pem", TLSKeyFile: "/nonexistent/k.pem"})); err == nil {
		t.Error("missing certificate files accepted")
	}
}

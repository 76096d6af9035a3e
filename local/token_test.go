package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
)

// tokenOut runs the token subcommand and returns what it printed.
func tokenOut(t *testing.T, args ...string) string {
	t.Helper()
	out, errs := &testsupport.Buffer{}, &testsupport.Buffer{}
	if err := run(append([]string{"token"}, args...), out, errs); err != nil {
		t.Fatalf("token %v: %v\n%s", args, err, errs.String())
	}
	return strings.TrimSpace(out.String())
}

// post sends a bodyless-or-JSON POST with a bearer token and returns the status.
func post(t *testing.T, u, tok, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestTokenAgainstEmulator checks that the printed tokens are accepted by a
// running emulator: the REST token on its URL, the client token on client
// negotiate; and that a token for another key is refused (so the check can
// fail).
func TestTokenAgainstEmulator(t *testing.T) {
	s, err := node.New(node.Development(node.Config{Addr: "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
	}()

	cs := s.ConnectionString()
	send := s.URL() + "/api/hubs/chat/:send?api-version=2022-06-01"
	rest := tokenOut(t, "--connection-string", cs, "--print", "rest")
	if code := post(t, send, rest, `{"target":"newMessage","arguments":["hi"]}`); code != http.StatusAccepted {
		t.Fatalf("REST send with the printed token: %d, want 202", code)
	}
	user := tokenOut(t, "--connection-string", cs, "--print", "rest", "--url", s.URL()+"/api/hubs/chat/users/alice/:send")
	if code := post(t, s.URL()+"/api/hubs/chat/users/alice/:send", user, `{"target":"t","arguments":[]}`); code != http.StatusAccepted {
		t.Fatalf("send to user with a --url token: %d, want 202", code)
	}
	if code := post(t, send, user, `{"target":"t","arguments":[]}`); code != http.StatusUnauthorized {
		t.Fatalf("a token for another URL: %d, want 401", code)
	}
	other := tokenOut(t, "--connection-string", strings.Replace(cs, node.DevAccessKey, "another-key-another-key-another-key-00", 1), "--print", "rest")
	if code := post(t, send, other, `{"target":"t","arguments":[]}`); code != http.StatusUnauthorized {
		t.Fatalf("a token signed with another key: %d, want 401", code)
	}
	client := tokenOut(t, "--connection-string", cs, "--print", "client", "--user", "alice")
	if code := post(t, s.URL()+"/client/negotiate?hub=chat&negotiateVersion=1", client, ""); code != http.StatusOK {
		t.Fatalf("client negotiate with the printed client token: %d, want 200", code)
	}
	curl := tokenOut(t, "--connection-string", cs, "--print", "curl")
	if !strings.HasPrefix(curl, "curl -i -X POST '"+send+"' -H 'Authorization: Bearer "+rest[:20]) {
		t.Fatalf("curl line %q", curl)
	}
	all := tokenOut(t, "--connection-string", cs, "--user", "alice")
	for _, want := range []string{"REST token for http://127.0.0.1/api/hubs/chat/:send", "Client access token for hub chat, user alice", "Try it:\n  curl"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q:\n%s", want, all)
		}
	}
}

// TestTokenDefaultsFitMakeRun checks that the defaults name the emulator of
// make run (port 8888, the development key).
func TestTokenDefaultsFitMakeRun(t *testing.T) {
	curl := tokenOut(t, "--print", "curl")
	if !strings.HasPrefix(curl, "curl -i -X POST 'http://localhost:8888/api/hubs/chat/:send?api-version=2022-06-01'") {
		t.Fatalf("default curl line %q", curl)
	}
	errs := &testsupport.Buffer{}
	if err := run([]string{"token", "--print", "nope"}, io.Discard, errs); err == nil {
		t.Fatal("--print nope accepted")
	}
}

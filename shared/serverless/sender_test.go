package serverless_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/token"
)

// restCall is one REST request a fake service received.
type restCall struct {
	method, path, query, body string
	aud                       []string
	err                       error // token verification
}

// fakeREST is a data-plane REST API that verifies tokens and records calls.
type fakeREST struct {
	*httptest.Server
	mu    sync.Mutex
	calls []restCall
}

func newFakeREST(t *testing.T, status int) *fakeREST {
	return newFakeRESTCode(t, status, "Warning.Connection.NotExisted")
}

func newFakeRESTCode(t *testing.T, status int, code string) *fakeREST {
	t.Helper()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeREST{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := restCall{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery, body: string(body)}
		claims, err := v.Verify(token.FromRequest(r), token.Audience{Path: r.URL.Path, Hosts: []string{"127.0.0.1"}})
		c.err = err
		if err == nil {
			c.aud = claims.Audience()
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		if status >= 400 {
			w.Header().Set("x-ms-error-code", code)
		}
		w.WriteHeader(status)
		if status >= 400 {
			io.WriteString(w, `{"code":"`+code+`"}`)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeREST) last(t *testing.T) restCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("no REST call")
	}
	return f.calls[len(f.calls)-1]
}

// connectionString returns a connection string for srv, as the emulator
// prints it (Endpoint without port, Port separate).
func connectionString(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return "Endpoint=http://" + u.Hostname() + ";Port=" + u.Port() + ";AccessKey=" + key + ";Version=1.0;"
}

func TestSender(t *testing.T) {
	f := newFakeREST(t, http.StatusAccepted)
	s, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: connectionString(t, f.Server)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name         string
		call         func() error
		method, path string
		body         string
	}{
		{"all", func() error { return s.SendToAll(ctx, "Chat", "newMessage", "hi", 2) },
			"POST", "/api/hubs/chat/:send", `{"target":"newMessage","arguments":["hi",2]}`},
		{"all without arguments", func() error { return s.SendToAll(ctx, "chat", "ping") },
			"POST", "/api/hubs/chat/:send", `{"target":"ping","arguments":[]}`},
		{"user", func() error { return s.SendToUser(ctx, "chat", "a@b c", "m", true) },
			"POST", "/api/hubs/chat/users/a%40b%20c/:send", `{"target":"m","arguments":[true]}`},
		{"group", func() error { return s.SendToGroup(ctx, "chat", "room/1", "m") },
			"POST", "/api/hubs/chat/groups/room%2F1/:send", `{"target":"m","arguments":[]}`},
		{"connection", func() error { return s.SendToConnection(ctx, "chat", "c1", "m", nil) },
			"POST", "/api/hubs/chat/connections/c1/:send", `{"target":"m","arguments":[null]}`},
		{"message precedence", func() error {
			return s.Send(ctx, "chat", serverless.Message{Target: "m", ConnectionID: "c1", UserID: "u", GroupName: "g"})
		}, "POST", "/api/hubs/chat/connections/c1/:send", `{"target":"m","arguments":[]}`},
		{"add connection", func() error { return s.AddToGroup(ctx, "chat", "c1", "g") },
			"PUT", "/api/hubs/chat/connections/c1/groups/g", ""},
		{"remove connection", func() error { return s.RemoveFromGroup(ctx, "chat", "c1", "g") },
			"DELETE", "/api/hubs/chat/connections/c1/groups/g", ""},
		{"remove connection from all", func() error {
			return s.Apply(ctx, "chat", serverless.GroupAction{Action: "RemoveAll", ConnectionID: "c1"})
		}, "DELETE", "/api/hubs/chat/connections/c1/groups", ""},
		{"add user", func() error { return s.AddUserToGroup(ctx, "chat", "alice", "g") },
			"PUT", "/api/hubs/chat/users/alice/groups/g", ""},
		{"remove user", func() error { return s.RemoveUserFromGroup(ctx, "chat", "alice", "g") },
			"DELETE", "/api/hubs/chat/users/alice/groups/g", ""},
		{"remove user from all", func() error { return s.RemoveUserFromAllGroups(ctx, "chat", "alice") },
			"DELETE", "/api/hubs/chat/users/alice/groups", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			c := f.last(t)
			if c.method != tt.method || c.path != tt.path || c.query != "api-version=2022-06-01" || c.body != tt.body {
				t.Errorf("got %s %s?%s %s\nwant %s %s %s", c.method, c.path, c.query, c.body, tt.method, tt.path, tt.body)
			}
			if c.err != nil {
				t.Fatalf("token: %v", c.err)
			}
			// The SDK's audience: the endpoint without its port, the path
			// and the api-version query.
			if wantAud := "http://127.0.0.1" + tt.path + "?api-version=2022-06-01"; len(c.aud) != 1 || c.aud[0] != wantAud {
				t.Errorf("aud %q, want %q", c.aud, wantAud)
			}
		})
	}
}

func TestSenderErrors(t *testing.T) {
	f := newFakeREST(t, http.StatusNotFound)
	s, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: connectionString(t, f.Server)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.RemoveFromGroup(ctx, "chat", "gone", "g")
	var se *serverless.StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || se.Method != "DELETE" || se.Code != "Warning.Connection.NotExisted" ||
		se.Path != "/api/hubs/chat/connections/gone/groups/g" || !strings.Contains(se.Body, "NotExisted") {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "status 404") || strings.Contains(err.Error(), "Bearer") {
		t.Errorf("message %q", err)
	}

	invalid := []func() error{
		func() error { return s.SendToAll(ctx, "", "m") },
		func() error { return s.SendToAll(ctx, "chat", "") },
		func() error { return s.SendToUser(ctx, "chat", "", "m") },
		func() error { return s.SendToGroup(ctx, "chat", "", "m") },
		func() error { return s.SendToConnection(ctx, "chat", "", "m") },
		func() error { return s.AddToGroup(ctx, "chat", "c", "") },
		func() error { return s.Apply(ctx, "chat", serverless.GroupAction{Action: "add", GroupName: "g"}) },
		func() error {
			return s.Apply(ctx, "chat", serverless.GroupAction{Action: "add", GroupName: "g", UserID: "u", ConnectionID: "c"})
		},
		func() error {
			return s.Apply(ctx, "chat", serverless.GroupAction{Action: "rename", GroupName: "g", UserID: "u"})
		},
		func() error { return s.SendToAll(ctx, "chat", "m", make(chan int)) },
	}
	f.mu.Lock()
	before := len(f.calls)
	f.mu.Unlock()
	for i, call := range invalid {
		if err := call(); err == nil {
			t.Errorf("invalid call %d succeeded", i)
		}
	}
	f.mu.Lock()
	after := len(f.calls)
	f.mu.Unlock()
	if after != before {
		t.Errorf("%d invalid calls reached the service", after-before)
	}

	for _, cs := range []string{"", "Endpoint=http://localhost;AuthType=aad;Version=1.0"} {
		if _, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: cs}); err == nil {
			t.Errorf("NewSender(%q) succeeded", cs)
		}
	}
}

func TestSenderAddMissingConnection(t *testing.T) {
	f := newFakeRESTCode(t, http.StatusNotFound, "Error.Connection.NotExisted")
	s, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: connectionString(t, f.Server)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.AddToGroup(ctx, "chat", "gone", "g"); err != nil {
		t.Errorf("AddToGroup of a gone connection: %v", err)
	}
	var se *serverless.StatusError
	if err := s.RemoveFromGroup(ctx, "chat", "gone", "g"); !errors.As(err, &se) {
		t.Errorf("RemoveFromGroup of a gone connection: %v", err)
	}
	if err := s.AddUserToGroup(ctx, "chat", "u", "g"); !errors.As(err, &se) {
		t.Errorf("AddUserToGroup with 404: %v", err)
	}
}

func TestSenderUnreachable(t *testing.T) {
	s, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: "Endpoint=http://127.0.0.1;Port=1;AccessKey=" + key + ";"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SendToAll(context.Background(), "chat", "m")
	var se *serverless.StatusError
	if err == nil || errors.As(err, &se) {
		t.Errorf("err = %v", err)
	}
}

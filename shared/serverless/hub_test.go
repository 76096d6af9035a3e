package serverless_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/serverless"
)

func newTestHub() *serverless.Hub {
	h := serverless.NewHub([]string{key})
	h.On("echo", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		var v any
		if err := inv.Bind(&v); err != nil {
			return nil, err
		}
		return v, nil
	})
	h.On("Fail", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		return nil, errors.New("no such room")
	})
	h.On("raw", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		return json.RawMessage(`{"ok":true}`), nil
	})
	h.On("void", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		return nil, nil
	})
	h.On("unencodable", func(ctx context.Context, inv *serverless.InvocationContext) (any, error) {
		return make(chan int), nil
	})
	h.OnConnected(func(ctx context.Context, inv *serverless.InvocationContext) error {
		if inv.UserID == "" {
			return errors.New("anonymous")
		}
		return nil
	})
	h.OnDisconnected(func(ctx context.Context, inv *serverless.InvocationContext) error {
		if inv.Error != "" {
			return errors.New(inv.Error)
		}
		return nil
	})
	return h
}

func TestHub(t *testing.T) {
	h := newTestHub()
	withUser := func(r *http.Request) *http.Request {
		r.Header.Set("X-ASRS-User-Id", "alice")
		return r
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
	}{
		{"result", invocationRequest("1", "echo", `["hi"]`), 200, "{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\x1e"},
		{"case-insensitive", invocationRequest("2", "ECHO", `[{"a":[1,2]}]`), 200, "{\"type\":3,\"invocationId\":\"2\",\"result\":{\"a\":[1,2]}}\x1e"},
		{"raw JSON result", invocationRequest("3", "raw", `[]`), 200, "{\"type\":3,\"invocationId\":\"3\",\"result\":{\"ok\":true}}\x1e"},
		{"nil result", invocationRequest("4", "void", `[]`), 200, "{\"type\":3,\"invocationId\":\"4\",\"result\":null}\x1e"},
		{"handler error", invocationRequest("5", "fail", `[]`), 200, "{\"type\":3,\"invocationId\":\"5\",\"error\":\"no such room\"}\x1e"},
		{"bind error", invocationRequest("6", "echo", `[]`), 200, "{\"type\":3,\"invocationId\":\"6\",\"error\":\"serverless: malformed request body: 0 arguments, want at least 1\"}\x1e"},
		{"unencodable result", invocationRequest("7", "unencodable", `[]`), 200, "{\"type\":3,\"invocationId\":\"7\",\"error\":\"Invocation failed, the result cannot be serialized.\"}\x1e"},
		{"non-blocking", invocationRequest("", "echo", `["hi"]`), 200, ""},
		{"non-blocking error", invocationRequest("", "fail", `[]`), 200, ""},
		{"unknown event", invocationRequest("8", "nope", `[]`), 404, "404 page not found\n"},
		{"connected", withUser(upstreamRequest("connections", "connected", "application/json", `{"type":10}`)), 200, ""},
		{"connected refused", upstreamRequest("connections", "connected", "application/json", `{"type":10}`), 403, "Forbidden\n"},
		{"disconnected", upstreamRequest("connections", "disconnected", "application/json", `{"Type":11}`), 200, ""},
		{"disconnected error", upstreamRequest("connections", "disconnected", "application/json", `{"Type":11,"Error":"x"}`), 500, "Internal Server Error\n"},
		{"unknown connection event", upstreamRequest("connections", "reconnected", "application/json", `{}`), 404, "404 page not found\n"},
		{"unknown category", upstreamRequest("other", "x", "application/json", `{}`), 404, "404 page not found\n"},
		{"bad signature", func() *http.Request {
			r := invocationRequest("1", "echo", `["hi"]`)
			r.Header.Set("X-ASRS-Signature", "sha256=00")
			return r
		}(), 401, "Unauthorized\n"},
		{"wrong content type", func() *http.Request {
			r := invocationRequest("1", "echo", `["hi"]`)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(), 415, "Unsupported Media Type\n"},
		{"missing headers", func() *http.Request {
			r := invocationRequest("1", "echo", `["hi"]`)
			r.Header.Del("X-ASRS-Connection-Id")
			return r
		}(), 400, "Bad Request\n"},
		{"GET", httptest.NewRequest(http.MethodGet, "/", nil), 405, "method not allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %q\nwant %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}

func TestHubMessagePack(t *testing.T) {
	h := newTestHub()
	for _, tt := range []struct {
		target, result, errText string
	}{
		{"echo", `{"a":1.5}`, ""},
		{"fail", "", "no such room"},
	} {
		args, _ := hubproto.JSONToMsgpack(nil, []byte(`[{"a":1.5}]`))
		m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "9", Target: tt.target, Arguments: args}
		frame, _ := hubproto.MessagePack.Append(nil, &m)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, upstreamRequest("messages", tt.target, "application/x-msgpack", string(frame[1:])))
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-msgpack" {
			t.Fatalf("%s: %d %q", tt.target, w.Code, w.Header().Get("Content-Type"))
		}
		msgs, rest, err := hubproto.MessagePack.Decode(w.Body.Bytes())
		if err != nil || len(rest) != 0 || len(msgs) != 1 {
			t.Fatalf("%s: body % x: %v", tt.target, w.Body.Bytes(), err)
		}
		c := msgs[0]
		var result []byte
		if c.HasResult {
			result, _ = hubproto.MsgpackToJSON(nil, c.Result)
		}
		if c.Type != hubproto.TypeCompletion || c.InvocationID != "9" || string(result) != tt.result || c.Error != tt.errText {
			t.Errorf("%s: completion %+v result %s", tt.target, c, result)
		}
	}
}

func TestWriteHelpers(t *testing.T) {
	inv := &serverless.InvocationContext{InvocationID: "1", Protocol: serverless.ProtocolJSON}
	w := httptest.NewRecorder()
	if err := serverless.WriteResult(w, inv, map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if w.Body.String() != "{\"type\":3,\"invocationId\":\"1\",\"result\":{\"n\":1}}\x1e" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("WriteResult: %q %v", w.Body.String(), w.Header())
	}
	w = httptest.NewRecorder()
	if err := serverless.WriteError(w, inv, ""); err != nil {
		t.Fatal(err)
	}
	if w.Body.String() != "{\"type\":3,\"invocationId\":\"1\",\"error\":\"Method execution failed.\"}\x1e" {
		t.Errorf("WriteError: %q", w.Body.String())
	}
	w = httptest.NewRecorder()
	if err := serverless.WriteResult(w, inv, make(chan int)); err == nil {
		t.Error("WriteResult of a channel succeeded")
	}
}

package serverless_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/upstream"
)

func TestParseRequestInvocation(t *testing.T) {
	r := invocationRequest("7", "Broadcast", `["hi",{"n":1}]`)
	r.Header.Set(upstream.HeaderEvent, "broadcast") // dispatch is case-insensitive
	r.Header.Set(upstream.HeaderUserID, "alice")
	r.Header.Set(upstream.HeaderUserClaims, "name: Doe, John, role: admin")
	r.Header.Set(upstream.HeaderClientQuery, "?hub=chat&lang=en")
	inv, err := serverless.ParseRequest(r, []string{otherKey, key})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Hub != "chat" || inv.Category != "messages" || inv.Event != "broadcast" || inv.ConnectionID != "conn-1" ||
		inv.UserID != "alice" || inv.InvocationID != "7" || inv.Protocol != "json" {
		t.Errorf("context %+v", inv)
	}
	if !reflect.DeepEqual(inv.Claims, map[string]string{"name": "Doe, John", "role": "admin"}) {
		t.Errorf("claims %v", inv.Claims)
	}
	if inv.Query.Get("lang") != "en" || inv.Query.Get("hub") != "chat" {
		t.Errorf("query %v", inv.Query)
	}
	if len(inv.Arguments) != 2 || string(inv.Arguments[0]) != `"hi"` || string(inv.Arguments[1]) != `{"n":1}` {
		t.Errorf("arguments %q", inv.Arguments)
	}
	var text string
	var obj struct{ N int }
	if err := inv.Bind(&text, &obj); err != nil || text != "hi" || obj.N != 1 {
		t.Errorf("Bind: %v %q %+v", err, text, obj)
	}
	var a, b, c string
	if err := inv.Bind(&a, &b, &c); !errors.Is(err, serverless.ErrMalformed) {
		t.Errorf("Bind of too many: %v", err)
	}
	if err := inv.Bind(new(int)); !errors.Is(err, serverless.ErrMalformed) {
		t.Errorf("Bind of a wrong type: %v", err)
	}
}

func TestParseRequestMessagePack(t *testing.T) {
	args, err := hubproto.JSONToMsgpack(nil, []byte(`["hi",2]`))
	if err != nil {
		t.Fatal(err)
	}
	m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "3", Target: "echo", Arguments: args}
	frame, err := hubproto.MessagePack.Append(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	body := string(frame[1:]) // short record: one-byte length prefix
	inv, err := serverless.ParseRequest(upstreamRequest("messages", "echo", "application/x-msgpack", body), []string{key})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Protocol != "messagepack" || inv.InvocationID != "3" || len(inv.Arguments) != 2 ||
		string(inv.Arguments[0]) != `"hi"` || string(inv.Arguments[1]) != "2" {
		t.Errorf("context %+v, arguments %q", inv, inv.Arguments)
	}
}

func TestParseRequestConnections(t *testing.T) {
	inv, err := serverless.ParseRequest(upstreamRequest("connections", "connected", "application/json", `{"type":10}`), []string{key})
	if err != nil || inv.Event != "connected" || inv.Claims != nil || inv.Query != nil {
		t.Fatalf("connected: %+v %v", inv, err)
	}
	for body, want := range map[string]string{
		`{"Type":11,"Error":"boom"}`: "boom",
		`{"type":11,"error":"boom"}`: "boom",
		`{"Type":11}`:                "",
		``:                           "",
	} {
		inv, err := serverless.ParseRequest(upstreamRequest("connections", "disconnected", "application/json", body), []string{key})
		if err != nil || inv.Error != want {
			t.Errorf("disconnected %q: %+v %v", body, inv, err)
		}
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		req    func() *http.Request
		keys   []string
		want   error
		status int
	}{
		{"no content type", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Del("Content-Type")
			return r
		}, []string{key}, serverless.ErrContentType, 415},
		{"text content type", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, []string{key}, serverless.ErrContentType, 415},
		{"missing hub", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Del(upstream.HeaderHub)
			return r
		}, []string{key}, serverless.ErrMissingHeader, 400},
		{"missing event", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Set(upstream.HeaderEvent, "")
			return r
		}, []string{key}, serverless.ErrMissingHeader, 400},
		{"no signature", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Del(upstream.HeaderSignature)
			return r
		}, []string{key}, serverless.ErrSignature, 401},
		{"wrong key", func() *http.Request { return invocationRequest("1", "echo", "[]") }, []string{otherKey}, serverless.ErrSignature, 401},
		{"no keys", func() *http.Request { return invocationRequest("1", "echo", "[]") }, nil, serverless.ErrSignature, 401},
		{"signature of another connection", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Set(upstream.HeaderSignature, upstream.Signature("conn-2", []string{key}))
			return r
		}, []string{key}, serverless.ErrSignature, 401},
		{"target differs from event", func() *http.Request {
			r := invocationRequest("1", "echo", "[]")
			r.Header.Set(upstream.HeaderEvent, "other")
			return r
		}, []string{key}, serverless.ErrMalformed, 400},
		{"not an invocation", func() *http.Request {
			return upstreamRequest("messages", "echo", "application/json", `{"type":6}`)
		}, []string{key}, serverless.ErrMalformed, 400},
		{"bad JSON", func() *http.Request {
			return upstreamRequest("messages", "echo", "application/json", `{"type":1,`)
		}, []string{key}, serverless.ErrMalformed, 400},
		{"empty invocation body", func() *http.Request {
			return upstreamRequest("messages", "echo", "application/json", ``)
		}, []string{key}, serverless.ErrMalformed, 400},
		{"bad disconnected body", func() *http.Request {
			return upstreamRequest("connections", "disconnected", "application/json", `[`)
		}, []string{key}, serverless.ErrMalformed, 400},
		{"too large", func() *http.Request {
			return upstreamRequest("messages", "echo", "application/json", strings.Repeat(" ", serverless.MaxBodyBytes+1))
		}, []string{key}, serverless.ErrTooLarge, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serverless.ParseRequest(tt.req(), tt.keys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if s := serverless.Status(err); s != tt.status {
				t.Errorf("Status = %d, want %d", s, tt.status)
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	sig := upstream.Signature("c", []string{key})   // upper-case hex
	other := upstream.Signature("c", []string{"x"}) // another key's entry
	tests := []struct {
		header string
		keys   []string
		want   bool
	}{
		{sig, []string{key}, true},
		{strings.ToLower(sig), []string{key}, true},
		{"SHA256=" + sig[len("sha256="):], []string{key}, true},
		{other + "," + sig, []string{key}, true},
		{other + ", " + sig, []string{key}, true},
		{sig, []string{"x", key}, true},
		{other, []string{key}, false},
		{sig[:len(sig)-2], []string{key}, false},
		{"sha1=" + sig[len("sha256="):], []string{key}, false},
		{sig, []string{""}, false},
		{"", []string{key}, false},
	}
	for _, tt := range tests {
		if got := serverless.VerifySignature(tt.header, "c", tt.keys); got != tt.want {
			t.Errorf("VerifySignature(%q, %q) = %v, want %v", tt.header, tt.keys, got, tt.want)
		}
	}
}

func TestParseClaims(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"", nil},
		{"sub: alice", map[string]string{"sub": "alice"}},
		{"sub: alice, role: admin, role: user", map[string]string{"sub": "alice", "role": "admin"}},
		{"name: Doe, John, x: 1", map[string]string{"name": "Doe, John", "x": "1"}},
		{"url: http://a/b?c=d, e: f", map[string]string{"url": "http://a/b?c=d", "e": "f"}},
		{"junk, a: b", map[string]string{"a": "b"}},
		{"a:b", nil},
		{" : v, k:  spaced ", map[string]string{"k": "spaced"}},
	}
	for _, tt := range tests {
		if got := serverless.ParseClaims(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseClaims(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// The claims header Herald sends parses back to the claims.
func TestClaimsRoundTrip(t *testing.T) {
	claims := map[string]any{"sub": "alice", "name": "Doe, John", "aud": "x", "asrs.u.iss": "app", "n": 2.0}
	got := serverless.ParseClaims(upstream.ClaimsHeader(claims))
	want := map[string]string{"sub": "alice", "name": "Doe, John", "iss": "app", "n": "2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

package httpapi_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
)

func TestSendBody(t *testing.T) {
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	tests := []struct {
		name     string
		ct       string // "-" for none
		body     string
		status   int
		code     string
		msg      string
		wantArgs string
	}{
		{name: "camelCase", body: `{"target":"m","arguments":[1,{"a":"b"}]}`, status: 202, wantArgs: `[1,{"a":"b"}]`},
		{name: "PascalCase (Management SDK)", body: `{"Target":"m","Arguments":["x", 2]}`, status: 202, wantArgs: `["x",2]`},
		{name: "arguments absent", body: `{"target":"m"}`, status: 202, wantArgs: `[]`},
		{name: "arguments null", body: `{"target":"m","arguments":null}`, status: 202, wantArgs: `[]`},
		{name: "extra fields ignored", body: `{"target":"m","arguments":[],"rawOnly":false}`, status: 202, wantArgs: `[]`},
		{name: "charset", ct: "application/json; charset=utf-8", body: `{"target":"m"}`, status: 202, wantArgs: `[]`},
		{name: "no content type", ct: "-", body: `{"target":"m"}`, status: 202, wantArgs: `[]`},
		{name: "empty body", body: "", status: 400, code: "Error.Request.Invalid", msg: "Message in request body is required."},
		{name: "whitespace body", body: "  \n", status: 400, code: "Error.Request.Invalid", msg: "Message in request body is required."},
		{name: "null body", body: "null", status: 400, msg: "Message in request body is required."},
		{name: "no target", body: `{"arguments":[1]}`, status: 400, msg: "Message in request body is required."},
		{name: "empty target", body: `{"target":""}`, status: 400, msg: "Message in request body is required."},
		{name: "target not string", body: `{"target":5}`, status: 400, msg: "wrong type"},
		{name: "arguments object", body: `{"target":"m","arguments":{"a":1}}`, status: 400, msg: "must be a JSON array"},
		{name: "arguments string", body: `{"target":"m","arguments":"x"}`, status: 400, msg: "must be a JSON array"},
		{name: "array body", body: `["m"]`, status: 400, msg: "JSON object"},
		{name: "broken json", body: `{"target":"m"`, status: 400, msg: "not valid JSON"},
		{name: "trailing data", body: `{"target":"m"} {}`, status: 400, msg: "not valid JSON"},
		{name: "x-msgpack", ct: "application/x-msgpack", body: "\x82", status: 415, code: "Error.Request.UnsupportedMediaType", msg: "application/octet-stream"},
		{name: "text/plain", ct: "text/plain", body: `{"target":"m"}`, status: 415, msg: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var hdr []string
			switch tt.ct {
			case "":
			case "-":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", tt.ct}
			}
			m := f.sendOne(t, target, tt.body, tt.status, tt.code, tt.msg, hdr...)
			if m == nil {
				return
			}
			if got := string(m.Arguments); got != tt.wantArgs {
				t.Errorf("arguments %s, want %s", got, tt.wantArgs)
			}
			if m.Target != "m" {
				t.Errorf("target %q", m.Target)
			}
		})
	}
}

func TestSendTooLarge(t *testing.T) {
	f := newFixture(t, func(c *httpapi.RESTConfig) { c.MaxBodyBytes = 64 })
	big := `{"target":"m","arguments":["` + strings.Repeat("x", 100) + `"]}`
	target := "/api/hubs/chat/:send"

	w := f.do("POST", target, big)
	wantError(t, w, 413, "Error.Request.TooLarge", "64 bytes")

	// Without Content-Length (chunked): the limit applies while reading.
	req := httptest.NewRequest("POST", baseURL+target, io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+sdkToken(t, target))
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	wantError(t, rec, 413, "Error.Request.TooLarge", "limit")

	if w := f.do("POST", target, `{"target":"m","arguments":[1]}`); w.Code != 202 {
		t.Fatalf("small body: %d %s", w.Code, w.Body.String())
	}
	if n := len(f.envelopes()); n != 1 {
		t.Fatalf("%d envelopes, want 1", n)
	}
}

func TestDefaultBodyLimit(t *testing.T) {
	f := newFixture(t)
	body := `{"target":"m","arguments":["` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"]}`
	wantError(t, f.do("POST", "/api/hubs/chat/:send", body), 413, "Error.Request.TooLarge", "1 MiB")
}

func TestSendScopes(t *testing.T) {
	tests := []struct {
		target   string
		scope    bus.Scope
		id       string
		excluded []string
	}{
		{"/api/hubs/Chat/:send?excluded=a&excluded=b&excluded=", bus.ScopeAll, "", []string{"a", "b"}},
		{"/api/v1/hubs/chat?excluded=a", bus.ScopeAll, "", []string{"a"}},
		{"/api/hubs/chat/groups/My%20Group/:send?excluded=c", bus.ScopeGroup, "My Group", []string{"c"}},
		{"/api/hubs/chat/users/a%2Fb/:send", bus.ScopeUser, "a/b", nil},
		{"/api/hubs/chat/users/a%40b.com/:send", bus.ScopeUser, "a@b.com", nil},
		{"/api/v1/hubs/chat/users/a%2Fb", bus.ScopeUser, "a/b", nil},
		{"/api/hubs/chat/connections/x%2By%3D%3D/:send", bus.ScopeConnection, "x+y==", nil},
		{"/api/hubs/chat/users/%3Asend/:send", bus.ScopeUser, ":send", nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newFixture(t)
			w := f.do("POST", tt.target, `{"target":"m"}`)
			if w.Code != 202 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			env := f.envelopes()
			if len(env) != 1 {
				t.Fatalf("envelopes %+v", env)
			}
			e := env[0]
			if e.Kind != bus.KindSend || e.Hub != "chat" || e.Scope != tt.scope || e.ID != tt.id {
				t.Errorf("envelope %+v, want %s %q", e, tt.scope, tt.id)
			}
			if strings.Join(e.Excluded, ",") != strings.Join(tt.excluded, ",") {
				t.Errorf("excluded %q, want %q", e.Excluded, tt.excluded)
			}
		})
	}
}

func TestApplicationHubKey(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/api/hubs/Chat/:send?application=MyApp&api-version=2022-06-01", `{"target":"m"}`)
	if w.Code != 202 {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if env := f.envelopes(); len(env) != 1 || env[0].Hub != "myapp_chat" {
		t.Fatalf("envelopes %+v, want hub myapp_chat", env)
	}
}

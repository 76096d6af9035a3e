package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/token"
)

func TestAudience(t *testing.T) {
	const v2 = "?api-version=2022-06-01"
	tests := []struct {
		name string
		aud  []string
		req  token.Audience
		ok   bool
	}{
		// Client tokens: aud names /client/?hub=h, requests are /client/negotiate and /client/.
		{"client negotiate", []string{"http://localhost/client/?hub=chat"}, token.Audience{Path: "/client/negotiate", Hub: "chat"}, true},
		{"client connect", []string{"http://localhost/client/?hub=chat"}, token.Audience{Path: "/client/", Hub: "chat"}, true},
		{"client connect no slash", []string{"http://localhost/client/?hub=chat"}, token.Audience{Path: "/client", Hub: "chat"}, true},
		{"client behind stage", []string{"https://gw.example/client/?hub=chat"}, token.Audience{Path: "/prod/client/negotiate", Hub: "chat"}, true},
		{"hub case-insensitive", []string{"http://localhost/client/?hub=Chat"}, token.Audience{Path: "/client/negotiate", Hub: "chat"}, true},
		{"app hub key", []string{"http://localhost/client/?hub=myapp_chat"}, token.Audience{Path: "/client/negotiate", Hub: "myapp_chat"}, true},
		{"wrong hub", []string{"http://localhost/client/?hub=other"}, token.Audience{Path: "/client/negotiate", Hub: "chat"}, false},
		{"hub check skipped", []string{"http://localhost/client/?hub=other"}, token.Audience{Path: "/client/negotiate"}, true},
		{"wrong client path", []string{"http://localhost/clientx/?hub=chat"}, token.Audience{Path: "/client/negotiate", Hub: "chat"}, false},
		{"client token on a REST path with a client segment", []string{"http://localhost/client/?hub=chat"}, token.Audience{Path: "/api/hubs/chat/groups/client/:send"}, false},
		// "/api/hubs/chat/users/client" does end in "/client": the REST API
		// refuses client tokens (an aud with a hub query) on its own.
		{"REST token on the client path", []string{"http://localhost/api/hubs/chat/:send?api-version=2022-06-01"}, token.Audience{Path: "/client/negotiate"}, false},
		{"partial segment", []string{"http://localhost/cli?hub=chat"}, token.Audience{Path: "/client/negotiate", Hub: "chat"}, false},

		// Hosts and ports.
		{"port differs", []string{"http://localhost/client/?hub=chat"}, token.Audience{Path: "/client/negotiate", Hosts: []string{"localhost:8888"}}, true},
		{"aud has port", []string{"http://LOCALHOST:9999/client/?hub=chat"}, token.Audience{Path: "/client/negotiate", Hosts: []string{"localhost"}}, true},
		{"wrong host", []string{"http://evil.example/client/?hub=chat"}, token.Audience{Path: "/client/negotiate", Hosts: []string{"localhost:8888", "herald.example"}}, false},
		{"ipv6 host", []string{"http://[::1]/client/?hub=chat"}, token.Audience{Path: "/client/", Hosts: []string{"[::1]:8888"}}, true},
		{"scheme ignored", []string{"wss://localhost/client/?hub=chat"}, token.Audience{Path: "/client/"}, true},

		// REST tokens.
		{"api-version query", []string{"https://svc/api/hubs/chat/:send" + v2}, token.Audience{Path: "/api/hubs/chat/:send", Hub: "chat"}, true},
		{"application query", []string{"https://svc/api/hubs/chat/:send?application=app&api-version=2022-06-01"}, token.Audience{Path: "/api/hubs/chat/:send", Hub: "app_chat"}, true},
		{"stage prefix", []string{"https://svc/api/hubs/chat/:send" + v2}, token.Audience{Path: "/prod/api/hubs/chat/:send"}, true},
		{"trailing slash", []string{"https://svc/api/hubs/chat/:send/"}, token.Audience{Path: "/api/hubs/chat/:send"}, true},
		{"path case-insensitive", []string{"https://svc/API/Hubs/Chat/:send"}, token.Audience{Path: "/api/hubs/chat/:send"}, true},
		{"escaped user", []string{"https://svc/api/hubs/chat/users/user%401/:send" + v2}, token.Audience{Path: "/api/hubs/chat/users/user@1/:send"}, true},
		{"escaped slash", []string{"https://svc/api/hubs/chat/groups/a%2Fb/connections/c1" + v2}, token.Audience{Path: "/api/hubs/chat/groups/a/b/connections/c1"}, true},
		{"other user", []string{"https://svc/api/hubs/chat/users/user%401/:send" + v2}, token.Audience{Path: "/api/hubs/chat/users/user@2/:send"}, false},
		{"wrong path", []string{"https://svc/api/hubs/chat/:send" + v2}, token.Audience{Path: "/api/hubs/other/:send"}, false},
		{"wrong route", []string{"https://svc/api/hubs/chat/:send" + v2}, token.Audience{Path: "/api/hubs/chat/groups/g/:send"}, false},
		{"segment boundary", []string{"https://svc/chat/:send"}, token.Audience{Path: "/api/hubs/xchat/:send"}, false},
		{"v1", []string{"http://svc/api/v1/hubs/app_chat"}, token.Audience{Path: "/api/v1/hubs/app_chat"}, true},
		{"health", []string{"http://svc/api/health" + v2}, token.Audience{Path: "/api/health"}, true},

		// With the escaped request path, an escaped "/" stays inside its segment.
		{"escaped slash, escaped path", []string{"https://svc/api/hubs/chat/groups/a%2Fb/connections/c1" + v2},
			token.Audience{Path: "/api/hubs/chat/groups/a/b/connections/c1", EscapedPath: "/api/hubs/chat/groups/a%2Fb/connections/c1"}, true},
		{"escaped user, path escaped otherwise", []string{"https://svc/api/hubs/chat/users/user%401/:send" + v2},
			token.Audience{Path: "/api/hubs/chat/users/user@1/:send", EscapedPath: "/api/hubs/chat/users/user@1/:send"}, true},
		{"stage prefix, escaped path", []string{"https://svc/api/hubs/chat/:send" + v2},
			token.Audience{Path: "/prod/api/hubs/chat/:send", EscapedPath: "/prod/api/hubs/chat/:send"}, true},
		{"escaped slashes forging segments", []string{"https://svc/api/hubs/chat/users/bob" + v2},
			token.Audience{Path: "/api/hubs/x/users/a/api/hubs/chat/users/bob", EscapedPath: "/api/hubs/x/users/a%2Fapi%2Fhubs%2Fchat%2Fusers%2Fbob"}, false},
		{"escaped percent is not an escaped slash", []string{"https://svc/api/hubs/chat/users/a%2Fb" + v2},
			token.Audience{Path: "/api/hubs/chat/users/a%2Fb", EscapedPath: "/api/hubs/chat/users/a%252Fb"}, false},
		{"non-ASCII case-insensitive", []string{"https://svc/api/hubs/chat/groups/%C3%89t%C3%A9/:send" + v2},
			token.Audience{Path: "/api/hubs/chat/groups/été/:send", EscapedPath: "/api/hubs/chat/groups/%c3%a9t%c3%a9/:send"}, true},
		{"escaped slashes forging segments, group", []string{"https://svc/api/hubs/chat/users/bob" + v2},
			token.Audience{Path: "/api/hubs/x/groups/g/api/hubs/chat/users/bob", EscapedPath: "/api/hubs/x/groups/g%2Fapi%2Fhubs%2Fchat/users/bob"}, false},

		// Shapes.
		{"array, second matches", []string{"http://other/x", "http://localhost/client/?hub=chat"}, clientReq, true},
		{"no aud", nil, clientReq, false},
		{"relative aud", []string{"/client/?hub=chat"}, clientReq, false},
		{"ftp aud", []string{"ftp://localhost/client/?hub=chat"}, clientReq, false},
		{"unparsable aud", []string{"http://local host/%zz"}, clientReq, false},
		{"root aud", []string{"http://localhost/"}, clientReq, false},
		{"root aud on root", []string{"http://localhost"}, token.Audience{Path: "/"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Match(tt.aud)
			if tt.ok && err != nil {
				t.Fatalf("Match: %v", err)
			}
			if !tt.ok && !errors.Is(err, token.ErrAudience) {
				t.Fatalf("Match error = %v, want ErrAudience", err)
			}
		})
	}
}

// TestAudienceKinds checks that client and REST tokens are told apart by
// more than a path suffix (a REST token whose audience path
// ends in a "client" segment connected to any hub).
func TestAudienceKinds(t *testing.T) {
	const v2 = "?api-version=2022-06-01"
	client := func(path, hub string) token.Audience {
		return token.Audience{Kind: token.ClientToken, Path: path, Hub: hub}
	}
	rest := func(path, app string) token.Audience {
		return token.Audience{Kind: token.RESTToken, Path: path, EscapedPath: path, Application: app}
	}
	tests := []struct {
		name string
		aud  string
		req  token.Audience
		ok   bool
	}{
		// Client tokens as the SDKs and Herald's negotiate write them.
		{"client connect", "http://localhost/client/?hub=chat", client("/client/", "chat"), true},
		{"client negotiate", "http://localhost/client/?hub=chat", client("/client/negotiate", "chat"), true},
		{"client behind stage", "https://gw.example/client/?hub=chat", client("/prod/client/", "chat"), true},
		{"client app hub key", "http://localhost/client/?hub=app_chat", client("/client/", "app_chat"), true},
		{"client hub case", "http://localhost/client/?hub=Chat", client("/client/", "chat"), true},
		// D5: a REST audience on the client path, through a path that ends
		// like the REST audience.
		{"REST token on client path", "http://localhost/api/hubs/chat/users/client" + v2, client("/client/api/hubs/chat/users/client/", "secrethub"), false},
		{"v1 REST token on client path", "http://localhost/api/v1/hubs/chat/users/client", client("/client/api/v1/hubs/chat/users/client/", "secrethub"), false},
		{"client aud without hub", "http://localhost/client/", client("/client/", "chat"), false},
		{"client aud, two hubs", "http://localhost/client/?hub=chat&hub=secrethub", client("/client/", "chat"), false},
		{"client aud, other hub", "http://localhost/client/?hub=chat", client("/client/", "secrethub"), false},
		{"client aud with api-version", "http://localhost/client/?hub=chat&api-version=2022-06-01", client("/client/", "chat"), false},
		{"client aud with application", "http://localhost/client/?hub=chat&application=app", client("/client/", "chat"), false},
		{"client kind needs a hub", "http://localhost/client/?hub=chat", client("/client/", ""), false},
		// REST tokens.
		{"REST", "https://svc/api/hubs/chat/:send" + v2, rest("/api/hubs/chat/:send", ""), true},
		{"REST v1", "https://svc/api/v1/hubs/chat/users/u", rest("/api/v1/hubs/chat/users/u", ""), true},
		{"REST with application", "https://svc/api/hubs/chat/:send?application=app&api-version=2022-06-01", rest("/api/hubs/chat/:send", "app"), true},
		{"REST application case", "https://svc/api/hubs/chat/:send?application=App&api-version=2022-06-01", rest("/api/hubs/chat/:send", "app"), true},
		{"application-less token on an application", "https://svc/api/hubs/chat/:send" + v2, rest("/api/hubs/chat/:send", "app"), false},
		{"other application", "https://svc/api/hubs/chat/:send?application=other&api-version=2022-06-01", rest("/api/hubs/chat/:send", "app"), false},
		{"application token without application", "https://svc/api/hubs/chat/:send?application=app&api-version=2022-06-01", rest("/api/hubs/chat/:send", ""), false},
		{"client token on REST path", "http://localhost/client/?hub=chat", rest("/api/hubs/chat/users/client", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Match([]string{tt.aud})
			if tt.ok && err != nil {
				t.Fatalf("Match: %v", err)
			}
			if !tt.ok && !errors.Is(err, token.ErrAudience) {
				t.Fatalf("Match error = %v, want ErrAudience", err)
			}
		})
	}
}

func TestAudienceErrorDetail(t *testing.T) {
	err := clientReq.Match([]string{"http://localhost/client/?hub=other"})
	for _, want := range []string{"expected", `"/client/negotiate"`, `"chat"`, "got", "hub=other"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestVerifyAudienceSDKTokens runs tokens as the Management SDK builds them
// through Verify.
func TestVerifyAudienceSDKTokens(t *testing.T) {
	iss, err := token.NewIssuer(token.IssuerConfig{Key: keyA, Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{keyA}, Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue("http://localhost/api/hubs/chat/users/user%401/:send?api-version=2022-06-01", map[string]any{"nameid": "machine_1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	req := token.Audience{Path: "/api/hubs/chat/users/user@1/:send", Hub: "chat", Hosts: []string{"localhost:8888"}}
	if _, err := v.Verify(tok, req); err != nil {
		t.Errorf("Verify: %v", err)
	}
	req.Path = "/api/hubs/chat/users/user@2/:send"
	if _, err := v.Verify(tok, req); !errors.Is(err, token.ErrAudience) {
		t.Errorf("Verify other user: %v", err)
	}
}

// An exact audience accepts only an entry equal to it, byte for byte, and
// none of the URL rules apply.
func TestAudienceExact(t *testing.T) {
	a := token.Audience{Exact: "herald-livetrace", Path: "/client/"}
	for _, tc := range []struct {
		aud []string
		ok  bool
	}{
		{[]string{"herald-livetrace"}, true},
		{[]string{"http://h/client/", "herald-livetrace"}, true},
		{[]string{"Herald-Livetrace"}, false},
		{[]string{"herald-livetrace "}, false},
		{[]string{"http://h/client/"}, false},
		{nil, false},
	} {
		err := a.Match(tc.aud)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, token.ErrAudience)) {
			t.Errorf("%q: %v, want ok=%v", tc.aud, err, tc.ok)
		}
	}
}

package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/httpapi"
)

func TestAuth(t *testing.T) {
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	const body = `{"target":"m"}`
	aud := "http://localhost/api/hubs/chat/:send?api-version=2022-06-01"
	past := func() time.Time { return time.Now().Add(-3 * time.Hour) }

	tests := []struct {
		name   string
		target string
		hosts  []string
		hdr    []string
		status int
		msg    string
	}{
		{name: "missing", hdr: nil, status: 401, msg: "no access token"},
		{name: "not bearer", hdr: []string{"Authorization", "Basic abc"}, status: 401, msg: "no access token"},
		{name: "garbage", hdr: []string{"Authorization", "Bearer abc.def"}, status: 401, msg: "malformed"},
		{name: "other key", hdr: bearerHdr(issue(t, "another-key-entirely", aud, nil, 0, nil)), status: 401, msg: "signature"},
		{name: "expired", hdr: bearerHdr(issue(t, testKey, aud, nil, time.Hour, past)), status: 401, msg: "expired"},
		{name: "not yet valid", hdr: bearerHdr(issue(t, testKey, aud, nil, time.Hour, func() time.Time { return time.Now().Add(time.Hour) })), status: 401, msg: "not valid yet"},
		{name: "wrong path", hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/other/:send", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "client token", target: "/api/hubs/chat/groups/client/:send", hdr: bearerHdr(issue(t, testKey, "http://localhost/client/?hub=chat", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "client token on a path ending in client", target: "/api/hubs/chat/users/client/:send", hdr: bearerHdr(issue(t, testKey, "http://localhost/client/?hub=chat", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "client token on a user named client", target: "/api/hubs/chat/users/client", hdr: bearerHdr(issue(t, testKey, "http://localhost/client/?hub=chat", nil, 0, nil)), status: 401, msg: "client access token"},
		{name: "host not allowed", hosts: []string{"signalr.example.com"}, hdr: bearerHdr(issue(t, testKey, aud, nil, 0, nil)), status: 401, msg: "audience"},
		{name: "host allowed", hosts: []string{"localhost"}, hdr: bearerHdr(issue(t, testKey, aud, nil, 0, nil)), status: 202},
		{name: "sdk token, port dropped", hdr: bearerHdr(issue(t, testKey, aud, nil, 0, nil)), status: 202},
		{name: "url as audience", hdr: bearerHdr(issue(t, testKey, baseURL+"/api/hubs/chat/:send", nil, 0, nil)), status: 202},
		{name: "bearer scheme case", hdr: []string{"Authorization", "bearer " + issue(t, testKey, aud, nil, 0, nil)}, status: 202},
		{name: "access_token query", target: target + "&access_token=" + issue(t, testKey, aud, nil, 0, nil), status: 202},
		{name: "v1 audience", target: "/api/v1/hubs/chat", hdr: bearerHdr(issue(t, testKey, "http://localhost/api/v1/hubs/chat", nil, 0, nil)), status: 202},
		{name: "escaped slash in a user id", target: "/api/hubs/chat/users/a%2Fb/:send",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/users/a%2Fb/:send?api-version=2022-06-01", nil, 0, nil)), status: 202},
		// A token for one route must not pass on another route whose id
		// holds escaped slashes spelling the first route's path.
		{name: "escaped slashes forging the audience path", target: "/api/hubs/other/users/x%2Fapi%2Fhubs%2Fchat%2Fusers%2Fbob",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/users/bob?api-version=2022-06-01", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "escaped slashes forging the audience path, group", target: "/api/hubs/other/groups/x%2Fapi%2Fhubs%2Fchat/:send",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/:send?api-version=2022-06-01", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "other application", target: "/api/hubs/chat/:send?application=appb&api-version=2022-06-01",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/:send?application=appa&api-version=2022-06-01", nil, 0, nil)), status: 401, msg: "application"},
		{name: "application token without application", target: "/api/hubs/chat/:send?api-version=2022-06-01",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/:send?application=appa&api-version=2022-06-01", nil, 0, nil)), status: 401, msg: "application"},
		// An application-less token authorizes hubs without an
		// application only.
		{name: "application-less token on an application", target: "/api/hubs/chat/:send?application=appa&api-version=2022-06-01",
			hdr: bearerHdr(issue(t, testKey, aud, nil, 0, nil)), status: 401, msg: "a token without application authorizes hubs without one only"},
		{name: "application-less token on an application, v1 form", target: "/api/v1/hubs/appa_chat",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/v1/hubs/chat", nil, 0, nil)), status: 401, msg: "audience"},
		{name: "no exp", hdr: bearerHdr(issueNoExp(t, testKey, aud)), status: 401, msg: "exp"},
		{name: "application audience", target: "/api/hubs/chat/:send?application=App&api-version=2022-06-01",
			hdr: bearerHdr(issue(t, testKey, "http://localhost/api/hubs/chat/:send?application=app&api-version=2022-06-01", nil, 0, nil)), status: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *httpapi.RESTConfig) { c.Hosts = tt.hosts })
			tgt := tt.target
			if tgt == "" {
				tgt = target
			}
			w := serve(f.h, "POST", tgt, body, tt.hdr...)
			if tt.status != http.StatusUnauthorized {
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
				}
				return
			}
			wantError(t, w, 401, "Error.Request.Unauthorized", tt.msg)
			if w.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Error("no WWW-Authenticate: Bearer")
			}
			if len(f.envelopes()) != 0 {
				t.Error("unauthorized request reached the bus")
			}
		})
	}
}

func bearerHdr(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func TestHealthNeedsNoToken(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, target string }{
		{"HEAD", "/api/health?api-version=2022-06-01"},
		{"GET", "/api/health"},
		{"GET", "/api/v1/health"},
		{"HEAD", "/api/v1/health"},
	} {
		w := serve(f.h, tt.method, tt.target, "")
		if w.Code != 200 {
			t.Errorf("%s %s: %d", tt.method, tt.target, w.Code)
		}
	}
	if w := serve(f.h, "POST", "/api/health", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST health: %d", w.Code)
	}
}

// issueNoExp signs a token for aud with key but without exp.
func issueNoExp(t *testing.T, key, aud string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": aud, "nameid": "m"}).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

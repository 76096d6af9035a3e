package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
)

// routeEffect is what a route must hand to the bus on success.
type routeEffect struct {
	kind  bus.Kind // 0: nothing
	scope bus.Scope
	id    string
}

// effects lists every route name; a route missing here fails the test, so
// new routes cannot go untested.
var effects = map[string]routeEffect{
	"health":                  {},
	"sendAll":                 {bus.KindSend, bus.ScopeAll, ""},
	"sendUser":                {bus.KindSend, bus.ScopeUser, "u1"},
	"sendGroup":               {bus.KindSend, bus.ScopeGroup, "g1"},
	"sendConnection":          {bus.KindSend, bus.ScopeConnection, "c1"},
	"closeConnection":         {bus.KindClose, bus.ScopeConnection, "c1"},
	"closeAll":                {bus.KindClose, bus.ScopeAll, ""},
	"closeGroup":              {bus.KindClose, bus.ScopeGroup, "g1"},
	"closeUser":               {bus.KindClose, bus.ScopeUser, "u1"},
	"addConnection":           {bus.KindAddToGroup, bus.ScopeConnection, "c1"},
	"removeConnection":        {bus.KindRemoveFromGroup, bus.ScopeConnection, "c1"},
	"removeConnectionFromAll": {bus.KindRemoveFromAllGroups, bus.ScopeConnection, "c1"},
	"addUser":                 {bus.KindAddToGroup, bus.ScopeUser, "u1"},
	"removeUser":              {bus.KindRemoveFromGroup, bus.ScopeUser, "u1"},
	"removeUserFromAll":       {bus.KindRemoveFromAllGroups, bus.ScopeUser, "u1"},
	"connectionExists":        {},
	"userExists":              {},
	"groupExists":             {},
	"userInGroup":             {},
	"generateToken":           {},
	"listGroupConnections":    {},
}

// elsewhere lists the routes whose success needs a gateway node holding the
// connection: only their authentication is checked here; the tests named
// cover the rest with real clients.
var elsewhere = map[string]string{
	"invokeConnection": "tests/e2e_clientresults_test.go",
	"sendStreamItem":   "tests/e2e_streams_test.go",
	"completeStream":   "tests/e2e_streams_test.go",
}

// concrete fills a route pattern's wildcards.
func concrete(pattern string) string {
	return strings.NewReplacer("{hub}", "Chat", "{group}", "g1", "{user}", "u1", "{connectionId}", "c1", "{streamId}", "s1").Replace(pattern)
}

func TestEveryRoute(t *testing.T) {
	routes := httpapi.Routes()
	if len(routes) < 60 {
		t.Fatalf("only %d routes", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("duplicate route %s", key)
		}
		seen[key] = true
		want, ok := effects[rt.Name]
		if _, other := elsewhere[rt.Name]; other {
			ok = true
		}
		if !ok {
			t.Errorf("route %s (%s) has no expectation in effects", key, rt.Name)
			continue
		}
		t.Run(key, func(t *testing.T) {
			f := newFixture(t)
			// c1 of u1 is in g1; u1 is also a user-level member of g1.
			f.register("chat", "c1", "u1", "g1")
			if err := f.bus.AddUserToGroup(t.Context(), "chat", "g1", "u1", -1); err != nil {
				t.Fatal(err)
			}
			f.reset()
			target := concrete(rt.Pattern) + "?api-version=2022-06-01"
			body := ""
			if strings.HasPrefix(rt.Name, "send") {
				body = `{"target":"hello","arguments":[1,"two"]}`
			}

			if rt.Auth {
				w := serve(f.h, rt.Method, target, body)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("no token: status %d, want 401", w.Code)
				}
				if got := w.Header().Get("x-ms-error-code"); got != "Error.Request.Unauthorized" {
					t.Errorf("no token: x-ms-error-code %q", got)
				}
				if len(f.envelopes()) != 0 {
					t.Fatalf("unauthorized request reached the bus: %+v", f.envelopes())
				}
			}

			if elsewhere[rt.Name] != "" {
				return
			}
			w := f.do(rt.Method, target, body)
			if w.Code != rt.Status {
				t.Fatalf("status %d, want %d; body %s", w.Code, rt.Status, w.Body.String())
			}
			trace := w.Header().Get(httpapi.TraceHeader)
			if trace == "" {
				t.Error("no trace header")
			}
			env := f.envelopes()
			if want.kind == 0 {
				if len(env) != 0 {
					t.Fatalf("unexpected envelopes %+v", env)
				}
				return
			}
			if len(env) != 1 {
				t.Fatalf("envelopes %+v, want one %s", env, want.kind)
			}
			e := env[0]
			if e.Kind != want.kind || e.Scope != want.scope || e.ID != want.id || e.Hub != "chat" {
				t.Fatalf("envelope %+v, want %s/%s %q in hub chat", e, want.kind, want.scope, want.id)
			}
			if e.Kind == bus.KindSend {
				if e.TraceID != trace {
					t.Errorf("envelope trace %q, header %q", e.TraceID, trace)
				}
				if e.Message.Target != "hello" || string(e.Message.Arguments) != `[1,"two"]` {
					t.Errorf("message %+v", e.Message)
				}
			}
		})
	}
}

func TestRouteTableUnion(t *testing.T) {
	have := map[string]int{}
	for _, rt := range httpapi.Routes() {
		have[rt.Method+" "+rt.Pattern] = rt.Status
	}
	// Spot checks of the route tables of docs/compat/rest-api.md (2022-06-01,
	// v1 and the emulator extras).
	for key, status := range map[string]int{
		"HEAD /api/health":                                              200,
		"GET /api/v1/health":                                            200,
		"POST /api/hubs/{hub}/:send":                                    202,
		"POST /api/v1/hubs/{hub}":                                       202,
		"POST /api/v1/hubs/{hub}/users/{user}/:send":                    202,
		"GET /api/hubs/{hub}/users/{user}/groups/{group}":               200,
		"HEAD /api/v1/hubs/{hub}/groups/{group}/users/{user}":           200,
		"PUT /api/hubs/{hub}/users/{user}/groups/{group}":               200,
		"PUT /api/v1/hubs/{hub}/groups/{group}/users/{user}":            202,
		"DELETE /api/hubs/{hub}/users/{user}/groups/{group}":            204,
		"DELETE /api/hubs/{hub}/users/{user}/groups":                    204,
		"DELETE /api/hubs/{hub}/connections/{connectionId}":             200,
		"DELETE /api/v1/hubs/{hub}/connections/{connectionId}":          202,
		"PUT /api/hubs/{hub}/connections/{connectionId}/groups/{group}": 200,
		"POST /api/hubs/{hub}/users/{user}/:closeConnections":           204,
		"POST /api/hubs/{hub}/:generateToken":                           200,
		"DELETE /api/v1/hubs/{hub}/connections/{connectionId}/groups":   200,
		"HEAD /api/hubs/{hub}/connections/{connectionId}":               200,
		"GET /api/hubs/{hub}/connections/{connectionId}":                200,
		"GET /api/hubs/{hub}/groups/{group}/connections":                200,
	} {
		got, ok := have[key]
		if !ok {
			t.Errorf("missing route %s", key)
		} else if got != status {
			t.Errorf("%s: status %d, want %d", key, got, status)
		}
	}
	// 2024-12-01 routes have no v1 form.
	if _, ok := have["GET /api/v1/hubs/{hub}/groups/{group}/connections"]; ok {
		t.Error("group listing served under /api/v1")
	}
}

package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

func TestValidation(t *testing.T) {
	long := strings.Repeat("g", 1025)
	tests := []struct {
		method, target, target2 string
		field                   string
		msg                     string
	}{
		{"POST", "/api/hubs/1chat/:send", "", "hub", "Invalid hub name"},
		{"POST", "/api/hubs/ch-at/:send", "", "hub", "Invalid hub name"},
		{"POST", "/api/hubs/" + strings.Repeat("h", 129) + "/:send", "", "hub", "Invalid hub name"},
		{"POST", "/api/hubs/chat/:send?application=9app", "", "application", "Invalid application name"},
		{"POST", "/api/hubs/chat/groups/%20%20/:send", "", "group", "Invalid group name"},
		{"POST", "/api/hubs/chat/groups/" + long + "/:send", "", "group", "Invalid group name"},
		{"PUT", "/api/hubs/chat/groups/%09/connections/c1", "", "group", "Invalid group name"},
		{"POST", "/api/hubs/chat/users/" + long + "/:closeConnections", "", "user", "Invalid user id"},
		{"PUT", "/api/hubs/chat/users/u1/groups/g1?ttl=-1", "", "ttl", "Invalid ttl"},
		{"PUT", "/api/hubs/chat/users/u1/groups/g1?ttl=abc", "", "ttl", "Invalid ttl"},
		{"PUT", "/api/hubs/chat/users/u1/groups/g1?ttl=1.5", "", "ttl", "Invalid ttl"},
		{"PUT", "/api/v1/hubs/chat/groups/g1/users/u1?ttl=99999999999", "", "ttl", "Invalid ttl"},
		{"POST", "/api/hubs/chat/:generateToken?minutesToExpire=0", "", "minutesToExpire", "Invalid minutesToExpire"},
		{"POST", "/api/hubs/chat/:generateToken?minutesToExpire=x", "", "minutesToExpire", "Invalid minutesToExpire"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target[:min(len(tt.target), 60)], func(t *testing.T) {
			w := f.do(tt.method, tt.target, `{"target":"m"}`)
			wantError(t, w, 400, "Error.Request.Invalid", tt.msg)
			if e := decodeError(t, w); e.Target != tt.field {
				t.Errorf("target %q, want %q", e.Target, tt.field)
			}
		})
	}
	if n := len(f.envelopes()); n != 0 {
		t.Errorf("%d envelopes published for invalid requests", n)
	}
}

func TestNotFoundCodes(t *testing.T) {
	f := newFixture(t)
	f.register("chat", "c1", "u1", "g1")
	tests := []struct {
		method, target string
		status         int
		code           string
	}{
		{"HEAD", "/api/hubs/chat/connections/nope", 404, "Warning.Connection.NotExisted"},
		{"GET", "/api/v1/hubs/chat/connections/nope", 404, "Warning.Connection.NotExisted"},
		{"HEAD", "/api/hubs/chat/users/nobody", 404, "Warning.User.NotExisted"},
		{"GET", "/api/hubs/chat/users/nobody", 404, "Warning.User.NotExisted"},
		{"HEAD", "/api/hubs/chat/groups/empty", 404, "Warning.Group.NotExisted"},
		{"GET", "/api/hubs/chat/users/u1/groups/other", 404, "Info.User.NotInGroup"},
		{"HEAD", "/api/v1/hubs/chat/groups/other/users/u1", 404, "Info.User.NotInGroup"},
		{"PUT", "/api/hubs/chat/groups/g1/connections/nope", 404, "Error.Connection.NotExisted"},
		{"DELETE", "/api/hubs/chat/groups/g1/connections/nope", 404, "Error.Connection.NotExisted"},
		{"PUT", "/api/v1/hubs/chat/connections/nope/groups/g1", 404, "Error.Connection.NotExisted"},
		// Existing things, same hub under another case.
		{"HEAD", "/api/hubs/CHAT/connections/c1", 200, ""},
		{"GET", "/api/hubs/chat/users/u1", 200, ""},
		{"GET", "/api/hubs/chat/groups/g1", 200, ""},
		{"GET", "/api/hubs/chat/groups/g1/users/u1", 200, ""},
		// A connection that is gone is in no group: success.
		{"DELETE", "/api/hubs/chat/connections/nope/groups", 200, ""},
		// Closing an unknown connection is accepted, like Azure's emulator.
		{"DELETE", "/api/hubs/chat/connections/nope?reason=bye", 200, ""},
		// Other hubs are separate.
		{"HEAD", "/api/hubs/other/connections/c1", 404, "Warning.Connection.NotExisted"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := f.do(tt.method, tt.target, "")
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			if got := w.Header().Get("x-ms-error-code"); got != tt.code {
				t.Errorf("x-ms-error-code %q, want %q", got, tt.code)
			}
			if tt.method == "GET" && tt.status == 404 {
				decodeError(t, w)
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	wantError(t, f.do("GET", "/api/nothing", ""), 404, "Error.Request.NotFound", "no route")
	wantError(t, f.do("POST", "/api/hubs/chat/users//:send", `{"target":"m"}`), 404, "Error.Request.NotFound", "not canonical")
	wantError(t, f.do("POST", "/api/hubs/chat/../chat/:send", `{"target":"m"}`), 404, "Error.Request.NotFound", "not canonical")
	w := f.do("PATCH", "/api/hubs/chat/groups/g1", "")
	wantError(t, w, 405, "Error.Request.MethodNotAllowed", "not allowed")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "POST") || !strings.Contains(allow, "HEAD") {
		t.Errorf("Allow %q", allow)
	}
}

func TestUserGroupTTL(t *testing.T) {
	f := newFixture(t)
	f.register("chat", "c1", "u1")
	ctx := t.Context()

	// ttl=0: current connections only, nothing remembered for later ones.
	if w := f.do("PUT", "/api/hubs/chat/users/u1/groups/now?ttl=0", ""); w.Code != 200 {
		t.Fatalf("ttl=0: %d %s", w.Code, w.Body.String())
	}
	// No ttl: kept for connections opened later.
	if w := f.do("PUT", "/api/v1/hubs/chat/groups/forever/users/u1", ""); w.Code != 202 {
		t.Fatalf("no ttl: %d %s", w.Code, w.Body.String())
	}
	// ttl=3600: kept too.
	if w := f.do("PUT", "/api/hubs/chat/users/u1/groups/hour?ttl=3600", ""); w.Code != 200 {
		t.Fatalf("ttl=3600: %d %s", w.Code, w.Body.String())
	}
	groups, err := f.bus.Register(ctx, bus.Conn{Hub: "chat", ID: "c2", User: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(groups)
	got := strings.Join(groups, ",")
	if got != "forever,hour" {
		t.Errorf("new connection joined %q, want forever,hour", got)
	}
	if ok, _ := f.bus.GroupExists(ctx, "chat", "now"); !ok {
		t.Error("ttl=0 did not add the current connection")
	}

	// Remove one, then all.
	if w := f.do("DELETE", "/api/hubs/chat/users/u1/groups/hour", ""); w.Code != 204 {
		t.Fatalf("delete: %d", w.Code)
	}
	if w := f.do("GET", "/api/hubs/chat/users/u1/groups/hour", ""); w.Code != 404 {
		t.Errorf("after delete: %d", w.Code)
	}
	if w := f.do("DELETE", "/api/hubs/chat/users/u1/groups", ""); w.Code != 204 {
		t.Fatalf("delete all: %d", w.Code)
	}
	if w := f.do("HEAD", "/api/hubs/chat/groups/g1/users/u1", ""); w.Code != 404 {
		t.Errorf("after delete all: %d", w.Code)
	}
}

func TestCloseConnections(t *testing.T) {
	tests := []struct {
		method, target string
		status         int
		scope          bus.Scope
		id             string
		excluded       string
	}{
		{"DELETE", "/api/hubs/chat/connections/c1?reason=kicked", 200, bus.ScopeConnection, "c1", ""},
		{"DELETE", "/api/v1/hubs/chat/connections/c1?reason=kicked", 202, bus.ScopeConnection, "c1", ""},
		{"POST", "/api/hubs/chat/:closeConnections?reason=kicked&excluded=c2&excluded=c3", 204, bus.ScopeAll, "", "c2,c3"},
		{"POST", "/api/hubs/chat/groups/g1/:closeConnections?reason=kicked&excluded=c2", 204, bus.ScopeGroup, "g1", "c2"},
		{"POST", "/api/hubs/chat/users/u1/:closeConnections?reason=kicked", 204, bus.ScopeUser, "u1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(tt.method, tt.target, "")
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			env := f.envelopes()
			if len(env) != 1 {
				t.Fatalf("envelopes %+v", env)
			}
			e := env[0]
			if e.Kind != bus.KindClose || e.Scope != tt.scope || e.ID != tt.id || e.Reason != "kicked" ||
				strings.Join(e.Excluded, ",") != tt.excluded {
				t.Errorf("envelope %+v", e)
			}
		})
	}
}

// A membership change and a send made one after the other reach a
// subscriber in that order.
func TestMembershipThenSendOrder(t *testing.T) {
	f := newFixture(t)
	f.register("chat", "c1", "u1")
	if w := f.do("PUT", "/api/hubs/chat/groups/room/connections/c1", ""); w.Code != http.StatusOK {
		t.Fatalf("add: %d %s", w.Code, w.Body.String())
	}
	if w := f.do("POST", "/api/hubs/chat/groups/room/:send", `{"target":"m"}`); w.Code != http.StatusAccepted {
		t.Fatalf("send: %d %s", w.Code, w.Body.String())
	}
	if w := f.do("DELETE", "/api/hubs/chat/connections/c1/groups/room", ""); w.Code != http.StatusOK {
		t.Fatalf("remove: %d %s", w.Code, w.Body.String())
	}
	env := f.envelopes()
	want := []bus.Kind{bus.KindAddToGroup, bus.KindSend, bus.KindRemoveFromGroup}
	if len(env) != len(want) {
		t.Fatalf("envelopes %+v", env)
	}
	for i, e := range env {
		if e.Kind != want[i] || (e.Kind != bus.KindSend && (e.Group != "room" || e.ID != "c1")) {
			t.Errorf("envelope %d: %+v, want %s", i, e, want[i])
		}
	}
}

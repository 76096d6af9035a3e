package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/hubproto"
)

// A malformed query value is a 400 naming the parameter on every route,
// never a pair dropped in silence (ttl=%zz was a membership without expiry,
// excluded=%zz excluded nobody, reason=%zz lost the reason).
func TestMalformedQueryEveryRoute(t *testing.T) {
	f := newFixture(t)
	for _, rt := range httpapi.Routes() {
		for _, q := range []struct{ raw, param string }{
			{"ttl=%zz", "ttl"}, {"excluded=c2&excluded=%zz", "excluded"}, {"reason=%", "reason"},
			{"application=%FF", "application"}, {"x=1;y=2", "x"},
		} {
			f.reset()
			w := f.do(rt.Method, concrete(rt.Pattern)+"?api-version=2022-06-01&"+q.raw, "")
			if w.Code != http.StatusBadRequest {
				t.Errorf("%s %s?%s: status %d, want 400; body %s", rt.Method, rt.Pattern, q.raw, w.Code, w.Body.String())
				continue
			}
			if rt.Method == http.MethodHead {
				continue
			}
			if e := decodeError(t, w); e.Target != q.param || !strings.Contains(e.Message, "'"+q.param+"'") {
				t.Errorf("%s %s?%s: error %+v does not name %q", rt.Method, rt.Pattern, q.raw, e, q.param)
			}
			if n := len(f.envelopes()); n != 0 {
				t.Errorf("%s %s?%s: %d envelopes published", rt.Method, rt.Pattern, q.raw, n)
			}
		}
	}
}

// Names that are not valid UTF-8 are refused on every route that takes
// them: the Redis bus would carry them as U+FFFD, so %FE and %FF would be
// one group.
func TestInvalidUTF8NamesEveryRoute(t *testing.T) {
	f := newFixture(t)
	for _, rt := range httpapi.Routes() {
		for _, param := range []string{"group", "user", "connectionId"} {
			if !strings.Contains(rt.Pattern, "{"+param+"}") {
				continue
			}
			target := strings.Replace(rt.Pattern, "{"+param+"}", "a%FEb", 1)
			f.reset()
			w := f.do(rt.Method, concrete(target), "")
			if w.Code != http.StatusBadRequest {
				t.Errorf("%s %s with %s %%FE: status %d, want 400", rt.Method, rt.Pattern, param, w.Code)
				continue
			}
			if rt.Method == http.MethodHead {
				continue
			}
			if e := decodeError(t, w); e.Target != param || !strings.Contains(e.Message, "UTF-8") {
				t.Errorf("%s %s: error %+v", rt.Method, rt.Pattern, e)
			}
		}
	}
}

// Arguments that are not valid UTF-8 never reach the bus: JSON clients
// would get them in a WebSocket text frame and drop the connection.
func TestSendInvalidUTF8Body(t *testing.T) {
	f := newFixture(t)
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	f.sendOne(t, target, "{\"target\":\"m\",\"arguments\":[\"a\xffb\"]}", 400, "Error.Request.Invalid", `"arguments" is not valid UTF-8`)
	f.sendOne(t, target, "{\"target\":\"m\xfe\",\"arguments\":[]}", 400, "Error.Request.Invalid", `"target" is not valid UTF-8`)
	f.sendOne(t, target, "{\"target\":\"m\",\"arguments\":[\"\u00e9\uFFFD\"]}", 202, "", "")
	jsonRec := string(hubproto.AppendJSONInvocation(nil, "m", []byte("[\"a\xffb\"]")))
	f.reset()
	f.sendOne(t, target, payloadMap("json", jsonRec), 400, "Error.Request.Invalid", "invalid UTF-8", "Content-Type", "application/octet-stream")
}

// limitCounter is a RESTMetrics that also counts limit refusals.
type limitCounter struct {
	mu  sync.Mutex
	got map[string]int
}

func (m *limitCounter) Request(string, string, int, time.Duration)    {}
func (m *limitCounter) Published(*bus.Envelope, time.Duration, error) {}
func (m *limitCounter) LimitReached(limit string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.got == nil {
		m.got = map[string]int{}
	}
	m.got[limit]++
}

// Joining a group beyond the bus's group limits is a 409 saying which
// limit, counted by limit.
func TestGroupLimits(t *testing.T) {
	m := &limitCounter{}
	b := bus.NewMemory(bus.MemoryConfig{GroupLimits: bus.GroupLimits{PerConnection: 2, PerUser: 1}})
	t.Cleanup(func() { _ = b.Close() })
	h, err := httpapi.NewREST(httpapi.RESTConfig{Bus: b, Verifier: newVerifier(t, testKey), Issuer: newIssuer(t, testKey, nil), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, bus: b, h: h}
	if _, err := b.Register(t.Context(), bus.Conn{Hub: "chat", ID: "c1", User: "u1"}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"a", "b"} {
		if w := f.do("PUT", "/api/hubs/chat/groups/"+g+"/connections/c1?api-version=2022-06-01", ""); w.Code != 200 {
			t.Fatalf("join %s: %d %s", g, w.Code, w.Body)
		}
	}
	w := f.do("PUT", "/api/hubs/chat/groups/c/connections/c1?api-version=2022-06-01", "")
	wantError(t, w, http.StatusConflict, "Error.Connection.GroupLimitReached", "the connection is in 2 groups")
	if w := f.do("PUT", "/api/hubs/chat/users/u1/groups/a?api-version=2022-06-01", ""); w.Code != 200 {
		t.Fatalf("user join: %d %s", w.Code, w.Body)
	}
	w = f.do("PUT", "/api/hubs/chat/users/u1/groups/b?api-version=2022-06-01", "")
	wantError(t, w, http.StatusConflict, "Error.User.GroupLimitReached", "the user is in 1 groups")
	if m.got[httpapi.LimitConnectionGroups] != 1 || m.got[httpapi.LimitUserGroups] != 1 {
		t.Errorf("limit refusals counted %v", m.got)
	}
}

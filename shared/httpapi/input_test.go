package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

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

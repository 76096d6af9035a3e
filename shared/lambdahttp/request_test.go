package lambdahttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/heraldrt/herald/shared/lambdahttp"
)

// seen is what the probe handler saw of a request.
type seen struct {
	Method, Path, EscapedPath, RawQuery, Host, RemoteAddr, RequestURI string
	Query                                                             map[string][]string
	Header                                                            http.Header
	Cookies                                                           map[string]string
	Body                                                              []byte
	ContentLength                                                     int64
}

// probe answers 200 with a JSON description of the request it got.
func probe(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		cookies := map[string]string{}
		for _, c := range r.Cookies() {
			cookies[c.Name] = c.Value
		}
		s := seen{
			Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Host: r.Host, RemoteAddr: r.RemoteAddr, RequestURI: r.RequestURI, Query: r.URL.Query(),
			Header: r.Header, Cookies: cookies, Body: body, ContentLength: r.ContentLength,
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
}

// invoke feeds the fixture to a Handler around probe and returns what the
// probe saw and the raw answer.
func invoke(t *testing.T, fixture string) (seen, map[string]any) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambdahttp.New(probe(t), nil).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", fixture, err)
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if resp["statusCode"] != float64(200) {
		t.Fatalf("answer %s: want statusCode 200", out)
	}
	var s seen
	if err := json.Unmarshal([]byte(resp["body"].(string)), &s); err != nil {
		t.Fatalf("probe body: %v", err)
	}
	return s, resp
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

func TestALBMultiValue(t *testing.T) {
	s, resp := invoke(t, "alb_send_multivalue.json")
	check(t, "method", s.Method, "POST")
	check(t, "path", s.Path, "/api/hubs/chat/:send")
	check(t, "host", s.Host, "herald-123456789.us-east-1.elb.amazonaws.com")
	check(t, "query", s.Query, map[string][]string{"api-version": {"2022-06-01"}, "excluded": {"conn+1", "conn/2"}})
	check(t, "repeated header", s.Header.Values("X-Ms-Signalr-Trace"), []string{"a", "b"})
	check(t, "authorization", s.Header.Get("Authorization"), "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")
	check(t, "no Host header", s.Header.Get("Host"), "")
	check(t, "body", string(s.Body), `{"target":"newMessage","arguments":["hi"]}`)
	check(t, "content length", s.ContentLength, int64(42))
	check(t, "remote addr (the hop the ALB added)", s.RemoteAddr, "203.0.113.10:0")
	check(t, "request URI", s.RequestURI, "/api/hubs/chat/:send?api-version=2022-06-01&excluded=conn%2B1&excluded=conn%2F2")
	// Answered in the request's form: multi-value headers, no single-value map.
	if _, ok := resp["multiValueHeaders"].(map[string]any); !ok || resp["headers"] != nil {
		t.Errorf("answer headers: %v / %v, want multiValueHeaders only", resp["multiValueHeaders"], resp["headers"])
	}
	check(t, "status description", resp["statusDescription"], "200 OK")
}

func TestALBSingleValue(t *testing.T) {
	s, resp := invoke(t, "alb_negotiate_single.json")
	check(t, "method", s.Method, "POST")
	check(t, "path", s.Path, "/api/negotiate")
	check(t, "query", s.Query, map[string][]string{"hub": {"chat"}, "negotiateVersion": {"1"}})
	check(t, "cookies", s.Cookies, map[string]string{"session": "abc123", "theme": "dark"})
	check(t, "user header", s.Header.Get("X-Ms-Signalr-Userid"), "alice")
	check(t, "proto", s.Header.Get("X-Forwarded-Proto"), "https")
	check(t, "body", len(s.Body), 0)
	if _, ok := resp["headers"].(map[string]any); !ok || resp["multiValueHeaders"] != nil {
		t.Errorf("answer: %v, want single-value headers only", resp)
	}
}

func TestALBPercentEscapes(t *testing.T) {
	s, _ := invoke(t, "alb_percent_escapes.json")
	check(t, "decoded path", s.Path, "/api/hubs/chat/users/al/ice bé/groups/g#1")
	check(t, "escaped path kept", s.EscapedPath, "/api/hubs/chat/users/al%2Fice%20b%C3%A9/groups/g%231")
	check(t, "query", s.Query, map[string][]string{
		"api-version": {"2022-06-01"}, "ttl": {"60"}, "note": {"a b", "x&y=z", "100%"},
	})
	check(t, "cookies from two headers", s.Cookies, map[string]string{"a": "1", "b": "2", "c": "3"})
	check(t, "remote addr", s.RemoteAddr, "203.0.113.99:0")
}

func TestV2Stage(t *testing.T) {
	s, resp := invoke(t, "apigw_v2_stage.json")
	check(t, "method", s.Method, "POST")
	check(t, "stage removed, decoded path kept", s.Path, "/api/hubs/chat/users/bob smith/:send")
	check(t, "re-encoded", s.EscapedPath, "/api/hubs/chat/users/bob%20smith/:send")
	check(t, "query from rawQueryString", s.Query, map[string][]string{"api-version": {"2022-06-01"}, "excluded": {"c1", "c&2"}})
	check(t, "cookies", s.Cookies, map[string]string{"session": "s1", "pref": "compact"})
	check(t, "comma header kept", s.Header.Get("X-Custom"), "one,two")
	check(t, "host", s.Host, "abc123xyz0.execute-api.us-east-1.amazonaws.com")
	check(t, "remote addr", s.RemoteAddr, "198.51.100.23:0")
	check(t, "body", string(s.Body), `{"target":"recv","arguments":["x"]}`)
	if _, ok := resp["statusDescription"]; ok {
		t.Errorf("payload 2.0 answer has statusDescription: %v", resp)
	}
}

func TestFunctionURL(t *testing.T) {
	s, _ := invoke(t, "function_url_v2.json")
	check(t, "decoded path", s.Path, "/runtime/webhooks/signalr/a/b")
	check(t, "encoded path kept", s.EscapedPath, "/runtime/webhooks/signalr/a%2Fb")
	check(t, "query", s.Query, map[string][]string{"code": {"k=1"}})
	check(t, "binary body", s.Body, []byte{0, 1, 2, 0xff})
	check(t, "header", s.Header.Get("X-Asrs-Connection-Id"), "conn1")
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

// testKey is the Azure emulator's well-known AccessKey.
const testKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// baseURL is where test requests go: the emulator's address, port
// included. SDK audiences drop the port.
const baseURL = "http://localhost:8888"

// fixture is a REST handler on a real memory bus with a recording
// subscriber.
type fixture struct {
	t   *testing.T
	bus *bus.Memory
	h   http.Handler

	mu  sync.Mutex
	env []bus.Envelope
}

type fixtureOpt func(*httpapi.RESTConfig)

func newFixture(t *testing.T, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, bus: bus.NewMemory(bus.MemoryConfig{})}
	t.Cleanup(func() { _ = f.bus.Close() })
	sub, err := f.bus.Subscribe(context.Background(), func(e *bus.Envelope) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := *e
		if e.Message != nil {
			m := *e.Message
			m.Arguments = append(json.RawMessage(nil), e.Message.Arguments...)
			c.Message = &m
		}
		c.Excluded = append([]string(nil), e.Excluded...)
		f.env = append(f.env, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	cfg := httpapi.RESTConfig{
		Bus:      f.bus,
		Verifier: newVerifier(t, testKey),
		Issuer:   newIssuer(t, testKey, nil),
	}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := httpapi.NewREST(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

// register adds connection id of user to hub, in groups.
func (f *fixture) register(hub, id, user string, groups ...string) {
	f.t.Helper()
	ctx := context.Background()
	if _, err := f.bus.Register(ctx, bus.Conn{Hub: hub, ID: id, User: user}); err != nil {
		f.t.Fatal(err)
	}
	for _, g := range groups {
		if err := f.bus.AddToGroup(ctx, hub, g, id); err != nil {
			f.t.Fatal(err)
		}
	}
	f.reset()
}

func (f *fixture) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.env = nil
}

func (f *fixture) envelopes() []bus.Envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bus.Envelope(nil), f.env...)
}

// do sends a request with an SDK-style token for target.
// sendOne POSTs body to target and checks the answer: for status 202 the one
// message published, which it returns; else the error (status, code, msg) and
// that nothing was published (it returns nil).
func (f *fixture) sendOne(t *testing.T, target, body string, status int, code, msg string, hdr ...string) *bus.Message {
	t.Helper()
	w := f.do("POST", target, body, hdr...)
	if status != 202 {
		wantError(t, w, status, code, msg)
		if n := len(f.envelopes()); n != 0 {
			t.Errorf("%d envelopes published for a rejected request", n)
		}
		return nil
	}
	if w.Code != 202 {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	env := f.envelopes()
	if len(env) != 1 || env[0].Message == nil {
		t.Fatalf("envelopes %+v", env)
	}
	return env[0].Message
}

func (f *fixture) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	return serve(f.h, method, target, body, append([]string{"Authorization", "Bearer " + sdkToken(f.t, target)}, hdr...)...)
}

// serve runs one request through h. hdr holds name, value pairs.
func serve(h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, baseURL+target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func newVerifier(t *testing.T, keys ...string) *token.Verifier {
	t.Helper()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newIssuer(t *testing.T, key string, now func() time.Time) *token.Issuer {
	t.Helper()
	i, err := token.NewIssuer(token.IssuerConfig{Key: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// sdkAudience builds the audience the Management SDK would for target: the
// port dropped, the path as escaped on the wire, and api-version (plus
// application) as the only query parameters.
func sdkAudience(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(baseURL + target)
	if err != nil {
		t.Fatal(err)
	}
	aud := "http://" + u.Hostname() + u.EscapedPath()
	if strings.Contains(u.Path, "/api/v1/") {
		return aud
	}
	if app := u.Query().Get("application"); app != "" {
		return aud + "?application=" + url.QueryEscape(app) + "&api-version=2022-06-01"
	}
	return aud + "?api-version=2022-06-01"
}

func sdkToken(t *testing.T, target string) string {
	t.Helper()
	return issue(t, testKey, sdkAudience(t, target), nil, 0, nil)
}

func issue(t *testing.T, key, aud string, claims map[string]any, life time.Duration, now func() time.Time) string {
	t.Helper()
	tok, err := newIssuer(t, key, now).Issue(aud, claims, life)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// errorBody decodes an ErrorDetail body.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	if got := w.Header().Get("x-ms-error-code"); got != e.Code {
		t.Errorf("x-ms-error-code %q, body code %q", got, e.Code)
	}
	return e
}

// wantError checks status, error code and that the message contains msg.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code, msg string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body.String())
	}
	e := decodeError(t, w)
	if code != "" && e.Code != code {
		t.Errorf("code %q, want %q", e.Code, code)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message %q does not contain %q", e.Message, msg)
	}
}

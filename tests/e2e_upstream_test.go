package tests

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/chathub"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// upstreamLog records the events the upstream function received and what it answered.
type upstreamLog struct {
	mu     sync.Mutex
	events []string // "<event> <connection id> <status>"
}

func (l *upstreamLog) has(event, connID string, status int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	want := strings.Join([]string{event, connID, http.StatusText(status)}, " ")
	for _, e := range l.events {
		if e == want {
			return true
		}
	}
	return false
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// withUpstream starts the sample chat hub (package chathub) as the upstream
// function, plus a function that always fails for the event "fail", and
// points the emulator's upstream settings file at them.
func withUpstream(t *testing.T) (*env, *upstreamLog) {
	t.Helper()
	return withUpstreamClient(t, jsclient.Current)
}

// withUpstreamClient is withUpstream whose driver runs the client library c;
// configure adjusts the emulator's configuration further.
func withUpstreamClient(t *testing.T, c jsclient.Client, configure ...func(*node.Config)) (*env, *upstreamLog) {
	t.Helper()
	log := &upstreamLog{}
	var hub atomic.Pointer[serverless.Hub] // set once the emulator's connection string is known
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		hub.Load().ServeHTTP(rec, r)
		log.mu.Lock()
		log.events = append(log.events, strings.Join([]string{r.Header.Get("X-ASRS-Event"), r.Header.Get("X-ASRS-Connection-Id"), http.StatusText(rec.status)}, " "))
		log.mu.Unlock()
	}))
	t.Cleanup(fn.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			_, _ = io.Copy(io.Discard, r.Body) // so the server notices the caller hanging up
			<-r.Context().Done()               // never answers: the emulator's upstream timeout fires
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)

	settings := filepath.Join(t.TempDir(), "settings.json")
	body := `{"UpstreamSettings":{"Templates":[
		{"UrlTemplate":"` + failing.URL + `/{event}","EventPattern":"fail, slow","CategoryPattern":"messages","HubPattern":"*"},
		{"UrlTemplate":"` + fn.URL + `/runtime/webhooks/signalr","EventPattern":"*","CategoryPattern":"*","HubPattern":"*"}]}}`
	if err := os.WriteFile(settings, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnvClient(t, c, append([]func(*node.Config){func(c *node.Config) {
		c.UpstreamSettingsPath = settings
		c.UpstreamTimeout = time.Second
	}}, configure...)...)
	sender, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: e.srv.ConnectionString()})
	if err != nil {
		t.Fatal(err)
	}
	hub.Store(chathub.New([]string{node.DevAccessKey}, sender, slog.New(slog.DiscardHandler)))
	return e, log
}

// The official client invokes hub methods served by an upstream function, in
// JSON and in MessagePack: echo returns its value, broadcast reaches every
// client through the REST API, and a failing upstream shows Azure's error.
func TestUpstreamInvocationsThroughTheSampleHub(t *testing.T) {
	t.Parallel()
	e, log := withUpstream(t)
	ids := map[string]string{
		"j": e.connectWith(t, jsclient.JSON, "j", "alice"),
		"m": e.connectWith(t, jsclient.MessagePack, "m", "bob"),
	}
	for name, id := range ids {
		eventually(t, "connected event for "+name, func() bool { return log.has("connected", id, 200) })
	}
	for _, name := range []string{"j", "m"} {
		if err := e.js.Invoke(name, name+"-echo", "echo", map[string]any{"n": 1, "s": "x"}); err != nil {
			t.Fatal(err)
		}
		reply := e.js.ExpectFunc(t, wait, "echo reply", jsclient.IsReply(name, name+"-echo"))
		if reply.Kind != jsclient.KindResult || string(reply.Result) != `{"n":1,"s":"x"}` {
			t.Errorf("%s echo: %s", name, reply.Raw)
		}
		if err := e.js.Invoke(name, name+"-fail", "fail"); err != nil {
			t.Fatal(err)
		}
		reply = e.js.ExpectFunc(t, wait, "fail reply", jsclient.IsReply(name, name+"-fail"))
		if reply.Kind != jsclient.KindError || !strings.Contains(reply.Message, "Invocation failed, status code 500") {
			t.Errorf("%s fail: %s", name, reply.Raw)
		}
		if err := e.js.Invoke(name, name+"-slow", "slow"); err != nil {
			t.Fatal(err)
		}
		reply = e.js.ExpectFunc(t, wait, "slow reply", jsclient.IsReply(name, name+"-slow"))
		if reply.Kind != jsclient.KindError || !strings.Contains(reply.Message, "timed out") {
			t.Errorf("%s slow: %s", name, reply.Raw)
		}
	}
	if err := e.js.Invoke("j", "b1", "broadcast", "hello all"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"j", "m"} {
		ev := e.js.ExpectMessage(t, name, "newMessage", wait)
		if !strings.Contains(string(ev.Args[0]), `"text":"hello all"`) || !strings.Contains(string(ev.Args[0]), `"sender":"alice"`) {
			t.Errorf("%s newMessage %s", name, ev.Raw)
		}
	}
	if err := e.js.Stop("j"); err != nil {
		t.Fatal(err)
	}
	e.js.Expect(t, "j", jsclient.KindClosed, wait)
	eventually(t, "disconnected event for j", func() bool { return log.has("disconnected", ids["j"], 200) })
}

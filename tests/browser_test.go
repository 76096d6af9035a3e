package tests

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/chathub"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/samples"
	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
	"github.com/heraldrt/herald/tests/internal/browser"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// browserWait bounds one wait for the page; a browser on a busy machine is slow.
const browserWait = 30 * time.Second

// The sample chat page in headless Chromium, served by one emulator while the API is
// another (a different origin, so negotiate goes through CORS and the WebSocket carries
// the token in the access_token query): it connects, shows a REST send, sends a chat
// message through the sample chat hub and sees it, reconnects automatically after a
// quick emulator restart, and after a longer outage, once automatic reconnect gave up,
// starts again after its random delay.
func TestBrowserSampleChat(t *testing.T) {
	t.Parallel()
	b := browser.Start(t)
	logs := &testsupport.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("emulator logs:\n%s", logs.String())
		}
	})

	// The sample chat hub as the upstream function.
	var hubFn atomic.Pointer[serverless.Hub]
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hubFn.Load().ServeHTTP(w, r) }))
	t.Cleanup(fn.Close)
	apiCfg := node.Config{
		Addr: "127.0.0.1:0", Logger: logger.With("emulator", "api"),
		Upstream: &upstream.Settings{Templates: []upstream.Template{{URLTemplate: fn.URL + "/runtime/webhooks/signalr"}}},
	}
	api, stopAPI := runEmulator(t, apiCfg)
	apiCfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(api.Port())) // restarts reuse the port
	sender, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: api.ConnectionString()})
	if err != nil {
		t.Fatal(err)
	}
	hubFn.Store(chathub.New([]string{node.DevAccessKey}, sender, slog.New(slog.DiscardHandler)))
	rest, err := mgmt.New(api.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rest.Close)

	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := runEmulator(t, node.Config{
		Addr: "127.0.0.1:0", Logger: logger.With("emulator", "pages"),
		SignalRScript: filepath.Join(root, samples.DefaultSignalRScript),
	})
	q := url.Values{
		"api": {api.URL()}, "user": {"alice"},
		// Automatic reconnect tries for about 4 s; then restarts come every 0.2-0.8 s.
		"delays": {"0,1000,1000,1000,1000"}, "restartMin": {"200"}, "restartMax": {"800"},
	}
	page := pages.SampleChatURL() + "?" + q.Encode()
	if status, err := b.Open(page); err != nil || status != http.StatusOK {
		t.Fatalf("open %s: %d %v", page, status, err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	connected := func(what string) {
		t.Helper()
		must(what, b.WaitText(`#state[data-state="connected"]`, "connected", browserWait))
	}
	connected("page connects")
	must("page uses the local bundle", b.WaitText("#lib", "signalr.js", browserWait))
	restSend := func(text string) {
		t.Helper()
		status(t, "send "+text, http.StatusAccepted)(rest.SendToAll(context.Background(), hub, "newMessage", []any{text}))
		must("page shows "+text, b.WaitText("#log li.message", text, browserWait))
	}
	chat := func(text string) {
		t.Helper()
		must("type", b.Fill("#text", text))
		must("send", b.Click("#send"))
		must("page shows its own "+text, b.WaitText("#log li.message", "alice: "+text, browserWait))
	}
	restSend("hello from REST")
	chat("hi from the page")

	// A quick restart: automatic reconnect brings the page back.
	stopAPI()
	must("page reconnecting", b.WaitText("#log li.status", "reconnecting", browserWait))
	_, stopAPI = runEmulator(t, apiCfg)
	must("page reconnected", b.WaitText("#log li.status", "reconnected as", browserWait))
	connected("page connected after reconnect")
	restSend("after a restart")

	// A longer outage: automatic reconnect gives up, the page restarts itself later.
	stopAPI()
	must("page gave up", b.WaitText("#log li.status", "disconnected", browserWait))
	must("page restarting", b.WaitText("#log li.status", "restarting (in ", browserWait))
	_, _ = runEmulator(t, apiCfg)
	connected("page connected after its restart")
	restSend("after an outage")
	chat("still chatting")
}

package upstream_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// A main keeps the current settings in an atomic.Pointer that WatchFile
// updates and the Client reads.
func ExampleWatchFile() {
	dir, _ := os.MkdirTemp("", "herald-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "settings.json")
	os.WriteFile(path, []byte(`{"UpstreamSettings":{"Templates":[
		{"UrlTemplate":"http://localhost:7071/runtime/webhooks/signalr","HubPattern":"*","CategoryPattern":"*","EventPattern":"*"}]}}`), 0o600)

	var current atomic.Pointer[upstream.Settings]
	current.Store(&upstream.Settings{})
	stop := upstream.WatchFile(context.Background(), path, time.Second, func(s upstream.Settings, err error) {
		if err != nil {
			slog.Warn("upstream settings not loaded; keeping the previous ones", "err", err)
			return
		}
		current.Store(&s)
	})
	defer stop()

	client := upstream.New(upstream.Config{Settings: func() upstream.Settings { return *current.Load() }})
	defer client.Close(context.Background())

	fmt.Println(current.Load().Match("chat", upstream.CategoryMessages, "broadcast"))
	// Output: http://localhost:7071/runtime/webhooks/signalr <nil>
}

// The gateway opens a Session per connection and feeds it the client's
// events; replies are complete records in the client's protocol.
func ExampleClient() {
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-ASRS-Event") == "echo" {
			w.Write([]byte("{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\x1e"))
		}
	}))
	defer fn.Close()

	client := upstream.New(upstream.Config{
		Settings:   upstream.Static(upstream.Settings{Templates: []upstream.Template{{URLTemplate: fn.URL + "/runtime/webhooks/signalr"}}}),
		AccessKeys: []string{"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"},
	})
	s := client.Session(upstream.Connection{Hub: "chat", ConnectionID: "conn-1", UserID: "alice", Codec: hubproto.JSON})
	s.Connected()

	msgs, _, _ := hubproto.JSON.Decode([]byte("{\"type\":1,\"invocationId\":\"1\",\"target\":\"echo\",\"arguments\":[\"hi\"]}\x1e"))
	done := make(chan struct{})
	s.Invoke(msgs[0], func(frame []byte) {
		fmt.Printf("%q\n", frame)
		close(done)
	})
	<-done
	s.Disconnected("")
	client.Close(context.Background())
	// Output: "{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\x1e"
}

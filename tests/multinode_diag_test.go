package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/livetrace"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
)

// liveStream reads a /livetrace/events stream into a channel.
func liveStream(t *testing.T, base string) <-chan diag.Event {
	t.Helper()
	return liveStreamKey(t, base, node.DevAccessKey)
}

// liveStreamKey is liveStream with a token signed with key.
func liveStreamKey(t *testing.T, base, key string) <-chan diag.Event {
	t.Helper()
	tok, err := livetrace.Token(key, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/livetrace/events?access_token="+tok, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		t.Fatalf("live trace stream: %d", resp.StatusCode)
	}
	ch := make(chan diag.Event, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e diag.Event
				if json.Unmarshal([]byte(data), &e) == nil {
					select {
					case ch <- e:
					default: // the test reads slowly: drop
					}
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return ch
}

// A live trace watcher on gateway 1 sees the connections of gateway 2 and
// the deliveries there of a message sent through the functions process,
// under the tracing id the REST call answered with; every process serves
// /metrics and a JSON health answer.
func TestMultiNodeDiagnostics(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	events := liveStream(t, c.gateways[gw1].URL())
	c.connectTo(t, gw2, "r2", "rita")

	// The other processes relay once they see the watch flag (a poll away):
	// send until a delivery on gateway 2 arrives with its send's tracing id.
	traces := map[string]bool{}
	var delivered diag.Event
	testsupport.Eventually(t, wait, "a delivery event from gateway 2 reaching the watcher on gateway 1", func() error {
		text := c.payload("traced")
		resp := status(t, "send to rita", http.StatusAccepted)(c.rest.SendToUser(ctx, hub, "rita", recv, []any{text}))
		traces[resp.Header.Get(httpapi.TraceHeader)] = true
		c.expectRecv(t, "r2", text)
		timer := time.After(300 * time.Millisecond)
	drain:
		for {
			select {
			case e := <-events:
				if e.Name == diag.MessageDelivered && traces[e.TraceID] && e.UserID == "rita" {
					delivered = e
					break drain
				}
			case <-timer:
				break drain
			}
		}
		if delivered.TraceID == "" {
			return errors.New("none yet")
		}
		return nil
	})
	node2 := delivered.Node
	if node2 != c.nodes[gw2] && !strings.HasPrefix(node2, c.nodes[gw2]+"~") {
		t.Fatalf("delivery event not named for gateway 2 (%s): %+v", c.nodes[gw2], delivered)
	}

	id := c.connectTo(t, gw2, "s2", "sam")
	timeout := time.After(wait)
	for started := false; !started; {
		select {
		case e := <-events:
			started = e.Name == diag.ConnectionStarted && e.ConnectionID == id && e.Node == node2 && e.UserID == "sam"
		case <-timeout:
			t.Fatal("no ConnectionStarted from gateway 2")
		}
	}

	m := scrape(t, adminURL(t, c.gateways[gw2])+"/metrics")
	if got := metric(m, "herald_connections", "hub", hub); got != 2 {
		t.Errorf("gateway 2 herald_connections = %v, want 2", got)
	}
	if got := metric(m, "herald_messages_sent_total", "kind", "user"); got < 1 {
		t.Errorf("gateway 2 user deliveries = %v", got)
	}
	fm := scrape(t, adminURL(t, c.functions)+"/metrics")
	if got := metric(fm, "herald_messages_received_total", "kind", "user"); got < 1 {
		t.Errorf("functions user messages received = %v", got)
	}
	for _, p := range append(c.gateways, c.functions) {
		resp, err := c.http.Get(p.URL() + "/api/v1/health")
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || h.Status != "healthy" || h.Checks["bus"] != "ok" {
			t.Errorf("%s health: %d %+v %v", p.Addr, resp.StatusCode, h, err)
		}
	}
}

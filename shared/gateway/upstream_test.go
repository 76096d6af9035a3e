package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/upstream"
)

// upstreamHarness is a gateway whose upstream is a serverless.Hub with an
// echo method, recording connection events.
func upstreamHarness(t *testing.T) (*harness, *eventLog) {
	t.Helper()
	log := &eventLog{}
	hub := serverless.NewHub([]string{testKey})
	hub.On("echo", func(_ context.Context, inv *serverless.InvocationContext) (any, error) {
		if len(inv.Arguments) == 0 {
			return nil, errors.New("echo needs an argument")
		}
		return inv.Arguments[0], nil
	})
	hub.OnConnected(func(_ context.Context, inv *serverless.InvocationContext) error {
		log.add("connected " + inv.ConnectionID + " " + inv.UserID)
		return nil
	})
	hub.OnDisconnected(func(_ context.Context, inv *serverless.InvocationContext) error {
		log.add("disconnected " + inv.ConnectionID)
		log.add("disconnected " + inv.ConnectionID + " error=" + inv.Error)
		return nil
	})
	fn := httptest.NewServer(hub)
	t.Cleanup(fn.Close)
	up := upstream.New(upstream.Config{
		AccessKeys: []string{testKey},
		Settings:   upstream.Static(upstream.Settings{Templates: []upstream.Template{{URLTemplate: fn.URL + "/{hub}/{event}"}}}),
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = up.Close(ctx)
	})
	return newHarness(t, func(c *Config) { c.Upstream = up }), log
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) has(e string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.events {
		if x == e {
			return true
		}
	}
	return false
}

func TestUpstreamInvocations(t *testing.T) {
	for _, codec := range []hubproto.Codec{hubproto.JSON, hubproto.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			h, log := upstreamHarness(t)
			c := h.connectWith(codec, "chat", "alice")
			waitFor(t, func() bool { return log.has("connected " + c.id + " alice") })

			args := json.RawMessage(`["hello",1]`)
			if codec == hubproto.MessagePack {
				args, _ = hubproto.JSONToMsgpack(nil, args)
			}
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "echo", Arguments: args})
			m := c.next()
			result := m.Result
			if codec == hubproto.MessagePack {
				result, _ = hubproto.MsgpackToJSON(nil, m.Result)
			}
			if m.Type != hubproto.TypeCompletion || m.InvocationID != "1" || m.Error != "" || string(result) != `"hello"` {
				t.Fatalf("completion %+v (result %s)", m, result)
			}
			empty := json.RawMessage(`[]`)
			if codec == hubproto.MessagePack {
				empty = []byte{0x90}
			}
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "2", Target: "echo", Arguments: empty})
			if m := c.next(); m.InvocationID != "2" || m.Error != "echo needs an argument" {
				t.Fatalf("error completion %+v", m)
			}
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "3", Target: "missing", Arguments: empty})
			if m := c.next(); m.InvocationID != "3" || m.Error != "Invocation failed, status code 404" {
				t.Fatalf("unknown method %+v", m)
			}
			_ = c.nc.Close()
			waitFor(t, func() bool { return log.has("disconnected " + c.id) })
		})
	}
}

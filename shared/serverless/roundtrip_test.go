package serverless_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/serverless"
	"github.com/heraldrt/herald/shared/upstream"
)

// roundTrip wires an upstream.Client to a serverless.Hub over HTTP.
type roundTrip struct {
	client *upstream.Client
	mu     sync.Mutex
	events []string // "category/event user error" as the hub saw them
}

func newRoundTrip(t *testing.T, clientKeys []string) *roundTrip {
	t.Helper()
	rt := &roundTrip{}
	h := newTestHub()
	record := func(ctx context.Context, inv *serverless.InvocationContext) error {
		rt.mu.Lock()
		rt.events = append(rt.events, inv.Category+"/"+inv.Event+" "+inv.UserID+" "+inv.Claims["role"]+" "+inv.Query.Get("lang")+" "+inv.Error)
		rt.mu.Unlock()
		return nil
	}
	h.OnConnected(record)
	h.OnDisconnected(record)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	rt.client = upstream.New(upstream.Config{
		Settings:   upstream.Static(upstream.Settings{Templates: []upstream.Template{{URLTemplate: srv.URL + "/runtime/webhooks/signalr"}}}),
		AccessKeys: clientKeys,
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rt.client.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return rt
}

func (rt *roundTrip) invoke(t *testing.T, s *upstream.Session, codec hubproto.Codec, m hubproto.Message) hubproto.Message {
	t.Helper()
	frame, err := codec.Append(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := codec.Decode(frame) // as the gateway decodes it: Raw is set
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	if err := s.Invoke(msgs[0], func(f []byte) { got <- f }); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-got:
		out, rest, err := codec.Decode(f)
		if err != nil || len(rest) != 0 || len(out) != 1 {
			t.Fatalf("reply % x: %v", f, err)
		}
		return out[0]
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
		return hubproto.Message{}
	}
}

func TestRoundTripJSON(t *testing.T) {
	rt := newRoundTrip(t, []string{otherKey, key}) // the hub knows only the secondary key
	s := rt.client.Session(upstream.Connection{
		Hub: "chat", ConnectionID: "conn-9", UserID: "alice",
		Claims: map[string]any{"role": "admin", "exp": 1e9}, Query: upstream.ClientQuery("hub=chat&lang=fr&access_token=x"),
	})
	if err := s.Connected(); err != nil {
		t.Fatal(err)
	}
	c := rt.invoke(t, s, hubproto.JSON, hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "echo", Arguments: []byte(`[{"text":"hi"}]`)})
	if !c.HasResult || string(c.Result) != `{"text":"hi"}` || c.InvocationID != "1" {
		t.Errorf("echo completion %+v", c)
	}
	c = rt.invoke(t, s, hubproto.JSON, hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "2", Target: "fail", Arguments: []byte(`[]`)})
	if c.Error != "no such room" {
		t.Errorf("fail completion %+v", c)
	}
	c = rt.invoke(t, s, hubproto.JSON, hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "3", Target: "missing", Arguments: []byte(`[]`)})
	if c.Error != "Invocation failed, status code 404" {
		t.Errorf("missing completion %+v", c)
	}
	if err := s.Disconnected("Connection closed with an error."); err != nil {
		t.Fatal(err)
	}
	if err := rt.client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"connections/connected alice admin fr ", "connections/disconnected alice admin fr Connection closed with an error."}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.events) != 2 || rt.events[0] != want[0] || rt.events[1] != want[1] {
		t.Errorf("events %q\nwant %q", rt.events, want)
	}
}

func TestRoundTripMessagePack(t *testing.T) {
	rt := newRoundTrip(t, []string{key})
	s := rt.client.Session(upstream.Connection{Hub: "chat", ConnectionID: "conn-mp", Codec: hubproto.MessagePack})
	args, _ := hubproto.JSONToMsgpack(nil, []byte(`[[1,"two",3.5]]`))
	c := rt.invoke(t, s, hubproto.MessagePack, hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "echo", Arguments: args})
	result, err := hubproto.MsgpackToJSON(nil, c.Result)
	if err != nil || !c.HasResult || string(result) != `[1,"two",3.5]` {
		t.Errorf("completion %+v result %s %v", c, result, err)
	}
}

func TestRoundTripBadSignature(t *testing.T) {
	rt := newRoundTrip(t, []string{otherKey}) // the hub does not know this key
	s := rt.client.Session(upstream.Connection{Hub: "chat", ConnectionID: "conn-1"})
	c := rt.invoke(t, s, hubproto.JSON, hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "echo", Arguments: []byte(`[1]`)})
	if c.Error != "Invocation failed, status code 401" {
		t.Errorf("completion %+v", c)
	}
}

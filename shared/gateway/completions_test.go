package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

type invokeCounts struct {
	noMetrics
	mu       sync.Mutex
	outcomes map[string]int
	unknown  int
}

func (m *invokeCounts) Invoked(o string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outcomes == nil {
		m.outcomes = map[string]int{}
	}
	m.outcomes[o]++
}

func (m *invokeCounts) UnknownCompletion() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unknown++
}

func (m *invokeCounts) get(o string) (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.outcomes[o], m.unknown
}

type invokeResult struct {
	res json.RawMessage
	err error
}

func invokeAsync(s *Server, id, target string) chan invokeResult {
	out := make(chan invokeResult, 1)
	go func() {
		res, err := s.Invoke(context.Background(), "chat", id, target, json.RawMessage(`[1]`), 5*time.Second)
		out <- invokeResult{res, err}
	}()
	return out
}

// Pending invocations are bounded per connection and per node (ErrInvokeLimit,
// counted); a Completion for an unknown id, or another connection's id, is ignored
// and counted; the right Completion answers.
func TestInvokeLimitsAndStrayCompletions(t *testing.T) {
	m := &invokeCounts{}
	h := newHarness(t, func(c *Config) {
		c.MaxConnectionInvocations = 2
		c.MaxInvocations = 3
		c.Metrics = m
	})
	a, b := h.connect("chat", ""), h.connect("chat", "")
	first := invokeAsync(h.gw, a.id, "x")
	i1 := a.next()
	second := invokeAsync(h.gw, a.id, "x")
	i2 := a.next()
	if i1.Type != hubproto.TypeInvocation || i1.InvocationID == "" || i2.InvocationID == i1.InvocationID {
		t.Fatalf("invocations %+v %+v: want two with distinct ids", i1, i2)
	}
	// A third on the same connection is refused at once.
	if _, err := h.gw.Invoke(context.Background(), "chat", a.id, "x", nil, time.Second); !errors.Is(err, ErrInvokeLimit) {
		t.Fatalf("third invoke on a: %v, want ErrInvokeLimit", err)
	}
	third := invokeAsync(h.gw, b.id, "y")
	b.next()
	// The node holds 3: a fourth on another connection is refused too.
	if _, err := h.gw.Invoke(context.Background(), "chat", b.id, "y", nil, time.Second); !errors.Is(err, ErrInvokeLimit) {
		t.Fatalf("fourth invoke: %v, want ErrInvokeLimit", err)
	}
	if n, _ := m.get("limit"); n != 2 {
		t.Errorf("limit outcomes %d, want 2", n)
	}

	// b answers a's invocation id and an unknown one: both ignored.
	b.send(`{"type":3,"invocationId":"` + i1.InvocationID + `","result":"stolen"}` + "\x1e")
	b.send(`{"type":3,"invocationId":"nope","result":1}` + "\x1e")
	a.send(`{"type":3,"invocationId":"` + i1.InvocationID + `","result":{"ok":true}}` + "\x1e")
	a.send(`{"type":3,"invocationId":"` + i2.InvocationID + `","error":"bad"}` + "\x1e")
	r1 := <-first
	if r1.err != nil || string(r1.res) != `{"ok":true}` {
		t.Fatalf("first: %s %v, want a's result", r1.res, r1.err)
	}
	var ce *ClientError
	if r2 := <-second; !errors.As(r2.err, &ce) || ce.Message != "bad" {
		t.Fatalf("second: %v, want the client's error", r2.err)
	}
	waitFor(t, func() bool { _, u := m.get(""); return u == 2 })
	// A duplicate Completion after the answer is ignored too.
	a.send(`{"type":3,"invocationId":"` + i1.InvocationID + `","result":2}` + "\x1e")
	b.send(`{"type":1,"target":"noop","arguments":[]}` + "\x1e")
	waitFor(t, func() bool { _, u := m.get(""); return u == 3 })
	if err := b.nc.Close(); err != nil {
		t.Fatal(err)
	}
	if r3 := <-third; !errors.Is(r3.err, ErrInvokeGone) {
		t.Fatalf("third: %v, want ErrInvokeGone when b ends", r3.err)
	}
	waitFor(t, func() bool { return h.gw.invokes.pending() == 0 })
	if n, _ := m.get("result"); n != 1 {
		t.Errorf("result outcomes %d, want 1", n)
	}
}

// A client that never answers: ErrInvokeTimeout, and the slot is freed.
func TestInvokeTimeout(t *testing.T) {
	h := newHarness(t, nil)
	a := h.connect("chat", "")
	if _, err := h.gw.Invoke(context.Background(), "chat", a.id, "x", nil, 50*time.Millisecond); !errors.Is(err, ErrInvokeTimeout) {
		t.Fatalf("invoke: %v, want ErrInvokeTimeout", err)
	}
	if n := h.gw.invokes.pending(); n != 0 {
		t.Fatalf("%d pending after the timeout", n)
	}
}

// MessagePack results are returned as JSON.
func TestInvokeMessagePackResult(t *testing.T) {
	h := newHarness(t, nil)
	a := h.connectWith(hubproto.MessagePack, "chat", "")
	done := invokeAsync(h.gw, a.id, "x")
	inv := a.next()
	a.sendMessage(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, HasResult: true,
		Result: []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x93, 0xc3, 0xc0, 0xa2, 'h', 'i'}})
	r := <-done
	if r.err != nil || string(r.res) != `{"a":1,"b":[true,null,"hi"]}` {
		t.Fatalf("result %s %v", r.res, r.err)
	}
}

// Streams per connection are bounded; ids cannot be reused while open.
func TestStreamLimits(t *testing.T) {
	var st streams
	c := &conn{}
	if e := st.add(c, "1", 2); e != "" {
		t.Fatal(e)
	}
	if e := st.add(c, "1", 2); e != ErrTextStreamInUse {
		t.Fatalf("reuse: %q", e)
	}
	if e := st.add(c, "2", 2); e != "" {
		t.Fatal(e)
	}
	if e := st.add(c, "3", 2); e != ErrTextTooManyStreams {
		t.Fatalf("third: %q", e)
	}
	st.connEnded(c)
	if st.count() != 0 || st.add(c, "3", 2) != "" {
		t.Fatal("streams left after the connection ended")
	}
}

package bustest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// recorder is a subscription that keeps copies of the envelopes of one
// hub. Its handler never blocks.
type recorder struct {
	hub    string
	sub    bus.Subscription
	notify chan struct{} // signalled after each envelope; capacity 1

	mu      sync.Mutex
	got     []*bus.Envelope
	pos     int  // envelopes already returned by take
	stopped bool // set once sub.Close has returned
	late    int  // handler calls after stopped
}

// subscribe returns a live recorder for e.hub on the gateway node, closed
// when the test ends.
func (e *env) subscribe() *recorder {
	e.t.Helper()
	return e.subscribeOn(e.gw)
}

// subscribeOn returns a live recorder for e.hub on node b, closed when the
// test ends. b holds a watcher connection in e.hub from then on, so that it
// receives the hub's envelopes.
func (e *env) subscribeOn(b bus.Bus) *recorder {
	e.t.Helper()
	e.watch(b)
	return e.listen(b)
}

// listen returns a live recorder for e.hub on node b, closed when the
// test ends, without a watcher connection.
func (e *env) listen(b bus.Bus) *recorder {
	e.t.Helper()
	r := &recorder{hub: e.hub, notify: make(chan struct{}, 1)}
	sub, err := b.Subscribe(e.ctx, r.handle)
	if err != nil {
		e.t.Fatalf("Subscribe: %v", err)
	}
	r.sub = sub
	e.t.Cleanup(func() {
		if err := sub.Close(); err != nil {
			e.t.Errorf("Subscription.Close: %v", err)
		}
	})
	return r
}

// watch registers an anonymous connection of e.hub on node b, once per
// node: a node delivers the envelopes of hubs it holds connections in.
func (e *env) watch(b bus.Bus) {
	e.t.Helper()
	if _, ok := e.watchers[b]; ok {
		return
	}
	if e.watchers == nil {
		e.watchers = make(map[bus.Bus]string)
	}
	id := fmt.Sprintf("bustest-watcher-%d", len(e.watchers))
	_, err := b.Register(e.ctx, bus.Conn{Hub: e.hub, ID: id})
	e.ok("Register watcher "+id, err)
	e.watchers[b] = id
}

func (r *recorder) handle(e *bus.Envelope) {
	if e.Hub != r.hub {
		return
	}
	c := e.Clone()
	r.mu.Lock()
	if r.stopped {
		r.late++
	}
	r.got = append(r.got, c)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// stop closes the subscription and from then on counts handler calls as
// late.
func (r *recorder) stop(t *testing.T) {
	t.Helper()
	if err := r.sub.Close(); err != nil {
		t.Fatalf("Subscription.Close: %v", err)
	}
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
}

// lateCalls returns how many handler calls came after stop returned.
func (r *recorder) lateCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.late
}

// take waits up to Timeout for the next n envelopes and returns them.
func (r *recorder) take(t *testing.T, n int) []*bus.Envelope {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		have := r.got[r.pos:]
		if len(have) >= n {
			r.pos += n
			r.mu.Unlock()
			return have[:n:n]
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-timer.C:
			t.Fatalf("waited %v for %d envelopes, got %d:\n%s", Timeout, n, len(have), describeAll(have))
		}
	}
}

// expect waits for the next envelopes and checks they are want, in order.
func (r *recorder) expect(t *testing.T, want ...*bus.Envelope) {
	t.Helper()
	got := r.take(t, len(want))
	g, w := describeEach(got), describeEach(want)
	if !slices.Equal(g, w) {
		t.Fatalf("envelopes:\ngot\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// fence publishes a marker and checks it is the next envelope every
// recorder sees: nothing unexpected (a duplicate, a change that should
// have failed) came before it.
func (e *env) fence(rs ...*recorder) {
	e.t.Helper()
	f := sendEnv(e.hub, bus.ScopeAll, "", "fence")
	e.publish(f) // from the functions node
	for _, r := range rs {
		r.expect(e.t, f)
	}
}

// describe renders the fields of an envelope that the bus must carry.
func describe(e *bus.Envelope) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s hub=%s %s:%q", e.Kind, e.Hub, e.Scope, e.ID)
	if e.Group != "" {
		fmt.Fprintf(&b, " group=%q", e.Group)
	}
	if len(e.Excluded) > 0 {
		fmt.Fprintf(&b, " excluded=%q", e.Excluded)
	}
	if e.Message != nil {
		fmt.Fprintf(&b, " target=%q args=%s", e.Message.Target, e.Message.Arguments)
		if f := e.Message.Framed; f != nil {
			fmt.Fprintf(&b, " framed json=%q (nil %v) messagepack=%x (nil %v)",
				f.JSON, f.JSON == nil, f.MessagePack, f.MessagePack == nil)
		}
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " reason=%q", e.Reason)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " trace=%q", e.TraceID)
	}
	if e.Taker != "" {
		fmt.Fprintf(&b, " taker=%q", e.Taker)
	}
	return b.String()
}

func describeEach(es []*bus.Envelope) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = describe(e)
	}
	return out
}

func describeAll(es []*bus.Envelope) string {
	return strings.Join(describeEach(es), "\n")
}

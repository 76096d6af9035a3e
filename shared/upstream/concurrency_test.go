package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/upstream"
)

// TestOrderPerConnection sends interleaved invocations on many sessions and
// checks each connection's upstream sees them one at a time, in order,
// while connections proceed concurrently.
func TestOrderPerConnection(t *testing.T) {
	const conns, perConn = 20, 30
	var (
		mu       sync.Mutex
		seen     = map[string][]int{}
		inFlight = map[string]int{}
		overlap  atomic.Bool
		total    atomic.Int32
		maxAll   atomic.Int32
	)
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		conn := r.Header.Get(upstream.HeaderConnectionID)
		var inv struct{ Arguments []int }
		if err := json.Unmarshal(body, &inv); err != nil || len(inv.Arguments) != 1 {
			t.Errorf("body %q: %v", body, err)
			return
		}
		mu.Lock()
		inFlight[conn]++
		if inFlight[conn] > 1 {
			overlap.Store(true)
		}
		mu.Unlock()
		n := total.Add(1)
		for {
			m := maxAll.Load()
			if n <= m || maxAll.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Duration(inv.Arguments[0]%3) * time.Millisecond)
		total.Add(-1)
		mu.Lock()
		inFlight[conn]--
		seen[conn] = append(seen[conn], inv.Arguments[0])
		mu.Unlock()
	})
	go func() { // drain the recorder channel
		for range rec.got {
		}
	}()
	c := upstream.New(upstream.Config{Settings: settingsFor(rec.URL, "/"), MaxConcurrent: 8})

	sessions := make([]*upstream.Session, conns)
	for i := range sessions {
		sessions[i] = c.Session(upstream.Connection{Hub: "h", ConnectionID: fmt.Sprint("c", i)})
	}
	var answered sync.WaitGroup
	for n := range perConn {
		for _, s := range sessions {
			id := ""
			var reply func([]byte)
			if n%2 == 0 {
				id = fmt.Sprint(n)
				answered.Add(1)
				reply = func([]byte) { answered.Done() }
			}
			if err := s.Invoke(invocation(id, "m", n), reply); err != nil {
				t.Fatal(err)
			}
		}
	}
	answered.Wait()
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(rec.got)

	if overlap.Load() {
		t.Error("a connection had two upstream calls in flight")
	}
	if maxAll.Load() < 2 {
		t.Errorf("at most %d calls in flight across connections; want concurrency", maxAll.Load())
	}
	for conn, got := range seen {
		if len(got) != perConn {
			t.Errorf("%s: %d invocations, want %d", conn, len(got), perConn)
		}
		for i, n := range got {
			if n != i {
				t.Errorf("%s: order %v", conn, got)
				break
			}
		}
	}
}

// TestConcurrencyBound checks the calls in flight never exceed
// MaxConcurrent.
func TestConcurrencyBound(t *testing.T) {
	const limit = 3
	var cur, peak atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
	})
	go func() {
		for range rec.got {
		}
	}()
	c := upstream.New(upstream.Config{Settings: settingsFor(rec.URL, "/"), MaxConcurrent: limit})
	var wg sync.WaitGroup
	for i := range 20 {
		s := c.Session(upstream.Connection{Hub: "h", ConnectionID: fmt.Sprint("c", i)})
		for j := range 5 {
			wg.Add(1)
			if err := s.Invoke(invocation(fmt.Sprint(j), "m", j), func([]byte) { wg.Done() }); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(rec.got)
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak in flight %d, want 2..%d", p, limit)
	}
}

// hang returns a handler that blocks until release is closed or the
// request is cancelled.
func hang(release <-chan struct{}) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Header.Get(upstream.HeaderHub) != "slow" {
			w.Write(completionFrame("1", "fast"))
			return
		}
		select {
		case <-release:
			w.Write(completionFrame("1", "slow"))
		case <-r.Context().Done():
		}
	}
}

func TestHungUpstreamDoesNotBlockOthers(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, hang(release))
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/{hub}")})
	slow := c.Session(upstream.Connection{Hub: "slow", ConnectionID: "a"})
	fast := c.Session(upstream.Connection{Hub: "fast", ConnectionID: "b"})

	slowOut, fastOut := make(replies, 2), make(replies, 1)
	if err := slow.Invoke(invocation("1", "m", 1), slowOut.reply); err != nil {
		t.Fatal(err)
	}
	rec.next(t) // the slow call is in flight
	if err := slow.Invoke(invocation("2", "m", 2), slowOut.reply); err != nil {
		t.Fatal(err)
	}
	if err := fast.Invoke(invocation("1", "m", 1), fastOut.reply); err != nil {
		t.Fatal(err)
	}
	if m := fastOut.completion(t); string(m.Result) != `"fast"` {
		t.Errorf("fast completion %+v", m)
	}
	select {
	case f := <-slowOut:
		t.Fatalf("slow connection answered early: %q", f)
	default:
	}
	close(release)
	for range 2 {
		if m := slowOut.completion(t); string(m.Result) != `"slow"` {
			t.Errorf("slow completion %+v", m)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rec := newRecorder(t, hang(release))
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/"), Timeout: 50 * time.Millisecond})
	s := c.Session(upstream.Connection{Hub: "slow", ConnectionID: "a"})
	out := make(replies, 1)
	start := time.Now()
	if err := s.Invoke(invocation("1", "m", 1), out.reply); err != nil {
		t.Fatal(err)
	}
	if m := out.completion(t); m.Error != upstream.ErrTextTimeout {
		t.Errorf("completion %+v", m)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestUnreachable(t *testing.T) {
	rec := newRecorder(t, nil)
	url := rec.URL
	rec.Close() // nothing listens there any more
	c := newClient(t, upstream.Config{Settings: settingsFor(url, "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a"})
	out := make(replies, 1)
	if err := s.Invoke(invocation("1", "m", 1), out.reply); err != nil {
		t.Fatal(err)
	}
	if m := out.completion(t); m.Error != upstream.ErrTextUnreachable {
		t.Errorf("completion %+v", m)
	}
}

func TestQueueFull(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, hang(release))
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/"), QueueLength: 2})
	s := c.Session(upstream.Connection{Hub: "slow", ConnectionID: "a"})
	out := make(replies, 8)
	if err := s.Invoke(invocation("1", "m", 1), out.reply); err != nil {
		t.Fatal(err)
	}
	rec.next(t) // the first invocation left the queue
	for _, id := range []string{"2", "3"} {
		if err := s.Invoke(invocation(id, "m", id), out.reply); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Invoke(invocation("4", "m", 4), out.reply); !errors.Is(err, upstream.ErrQueueFull) {
		t.Fatalf("fourth Invoke: %v", err)
	}
	if m := out.completion(t); m.InvocationID != "4" || m.Error != upstream.ErrTextQueueFull {
		t.Errorf("completion %+v", m)
	}
	if err := s.Invoke(invocation("", "m", 5), nil); !errors.Is(err, upstream.ErrQueueFull) {
		t.Fatalf("non-blocking Invoke: %v", err)
	}
	if err := s.Disconnected(""); err != nil { // connection events are never refused
		t.Fatal(err)
	}
	close(release)
	for range 3 {
		out.completion(t)
	}
}

func TestQueueBytes(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, hang(release))
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/"), QueueBytes: 100})
	s := c.Session(upstream.Connection{Hub: "slow", ConnectionID: "a"})
	out := make(replies, 8)
	big := string(make([]byte, 200))
	if err := s.Invoke(invocation("1", "m", 1), out.reply); err != nil {
		t.Fatal(err)
	}
	rec.next(t)
	if err := s.Invoke(invocation("2", "m", big), out.reply); err != nil { // an empty queue takes any size
		t.Fatal(err)
	}
	if err := s.Invoke(invocation("3", "m", 3), out.reply); !errors.Is(err, upstream.ErrQueueFull) {
		t.Fatalf("third Invoke: %v", err)
	}
	out.completion(t)
	close(release)
	out.completion(t)
	out.completion(t)
}

func TestCloseAbortsHungCalls(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rec := newRecorder(t, hang(release))
	c := upstream.New(upstream.Config{Settings: settingsFor(rec.URL, "/")})
	s := c.Session(upstream.Connection{Hub: "slow", ConnectionID: "a"})
	out := make(replies, 4)
	for _, id := range []string{"1", "2"} {
		if err := s.Invoke(invocation(id, "m", 1), out.reply); err != nil {
			t.Fatal(err)
		}
	}
	rec.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v", err)
	}
	for range 2 {
		if m := out.completion(t); m.Error != upstream.ErrTextShuttingDown {
			t.Errorf("completion %+v", m)
		}
	}
	if err := s.Invoke(invocation("3", "m", 1), out.reply); !errors.Is(err, upstream.ErrClosed) {
		t.Errorf("Invoke after Close: %v", err)
	}
	if m := out.completion(t); m.Error != upstream.ErrTextShuttingDown {
		t.Errorf("completion %+v", m)
	}
	if err := c.Session(upstream.Connection{Hub: "h", ConnectionID: "b"}).Connected(); !errors.Is(err, upstream.ErrClosed) {
		t.Errorf("Connected after Close: %v", err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseWaitsForQueuedEvents(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		<-release
	})
	c := upstream.New(upstream.Config{Settings: settingsFor(rec.URL, "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a"})
	if err := s.Connected(); err != nil {
		t.Fatal(err)
	}
	if err := s.Disconnected("bye"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error)
	go func() { closed <- c.Close(context.Background()) }()
	rec.next(t)
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v with events pending", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if r := rec.next(t); string(r.body) != `{"Type":11,"Error":"bye"}` {
		t.Errorf("last body %q", r.body)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

func TestInvokeAfterDisconnected(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a"})
	if err := s.Disconnected(""); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := s.Invoke(invocation("1", "m", 1), func(f []byte) { got = f }); !errors.Is(err, upstream.ErrSessionEnded) {
		t.Errorf("Invoke: %v", err)
	}
	if !json.Valid(got[:len(got)-1]) || !strings.Contains(string(got), upstream.ErrTextEnded) {
		t.Errorf("reply %q", got)
	}
	if err := s.Disconnected(""); !errors.Is(err, upstream.ErrSessionEnded) {
		t.Errorf("second Disconnected: %v", err)
	}
}

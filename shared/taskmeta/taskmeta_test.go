package taskmeta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// endpoint serves /task like the ECS agent: RUNNING until stopped is set,
// then STOPPED; failing answers 500 before any status.
type endpoint struct {
	stopped atomic.Bool
	failing atomic.Bool
	polls   atomic.Int32
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/task" {
		http.NotFound(w, r)
		return
	}
	e.polls.Add(1)
	if e.failing.Load() {
		http.Error(w, "agent busy", http.StatusInternalServerError)
		return
	}
	status := "RUNNING"
	if e.stopped.Load() {
		status = StatusStopped
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Cluster": "c", "TaskARN": "arn:t", "KnownStatus": "RUNNING", "DesiredStatus": status})
}

func watch(t *testing.T, e *endpoint) (calls *atomic.Int32, stop func()) {
	t.Helper()
	srv := httptest.NewServer(e)
	ctx, cancel := context.WithCancel(context.Background())
	calls = &atomic.Int32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, Config{BaseURL: srv.URL, Interval: 5 * time.Millisecond}, func() { calls.Add(1) })
	}()
	return calls, func() { cancel(); <-done; srv.Close() }
}

func waitPolls(t *testing.T, e *endpoint, n int32) {
	t.Helper()
	testsupport.Eventually(t, 10*time.Second, "polls", func() error {
		if got := e.polls.Load(); got < n {
			return fmt.Errorf("only %d of %d", got, n)
		}
		return nil
	})
}

// RUNNING never calls; the first STOPPED calls once and ends the watch.
func TestWatchCallsOnceOnStopped(t *testing.T) {
	e := &endpoint{}
	calls, stop := watch(t, e)
	defer stop()
	waitPolls(t, e, 5)
	if calls.Load() != 0 {
		t.Fatalf("called while RUNNING")
	}
	e.stopped.Store(true)
	testsupport.EventuallyTrue(t, 10*time.Second, "STOPPED reported", func() bool { return calls.Load() != 0 })
	polls := e.polls.Load()
	time.Sleep(50 * time.Millisecond)
	if calls.Load() != 1 || e.polls.Load() != polls {
		t.Fatalf("calls %d, polls %d then %d: the watch must end after STOPPED", calls.Load(), polls, e.polls.Load())
	}
}

// An endpoint that fails is retried and never taken for STOPPED.
func TestWatchRetriesFailures(t *testing.T) {
	e := &endpoint{}
	e.failing.Store(true)
	calls, stop := watch(t, e)
	defer stop()
	waitPolls(t, e, 5)
	if calls.Load() != 0 {
		t.Fatal("a failing endpoint triggered the drain")
	}
	e.failing.Store(false)
	e.stopped.Store(true)
	testsupport.EventuallyTrue(t, 10*time.Second, "STOPPED reported after the endpoint recovered", func() bool { return calls.Load() != 0 })
}

func TestDesiredStatusErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"KnownStatus":"RUNNING"}`))
	}))
	defer srv.Close()
	if _, err := DesiredStatus(context.Background(), srv.Client(), srv.URL); err == nil {
		t.Fatal("an answer without DesiredStatus was accepted")
	}
}

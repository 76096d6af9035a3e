package upstream_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/upstream"
)

// observation is one call to Config.Observe.
type observation struct {
	category string
	status   int
	err      error
}

// Observe sees every call with its category, status and error: what the
// upstream metrics count.
func TestObserve(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Header.Get(upstream.HeaderEvent) == "fail" {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	var mu sync.Mutex
	var got []observation
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/"), Observe: func(category string, status int, elapsed time.Duration, err error) {
		if elapsed < 0 {
			t.Errorf("negative elapsed %v", elapsed)
		}
		mu.Lock()
		got = append(got, observation{category, status, err})
		mu.Unlock()
	}})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "c1"})
	if err := s.Connected(); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"ok", "fail"} {
		out := make(replies, 1)
		if err := s.Invoke(invocation("1", target, nil), out.reply); err != nil {
			t.Fatal(err)
		}
		out.completion(t)
	}
	down := newClient(t, upstream.Config{Settings: settingsFor("http://127.0.0.1:1", "/"), Observe: func(category string, status int, _ time.Duration, err error) {
		mu.Lock()
		got = append(got, observation{category, status, err})
		mu.Unlock()
	}})
	out := make(replies, 1)
	if err := down.Session(upstream.Connection{Hub: "h", ConnectionID: "c2"}).Invoke(invocation("1", "x", nil), out.reply); err != nil {
		t.Fatal(err)
	}
	out.completion(t)
	mu.Lock()
	defer mu.Unlock()
	want := []observation{{upstream.CategoryConnections, 200, nil}, {upstream.CategoryMessages, 200, nil}, {upstream.CategoryMessages, 502, nil}, {upstream.CategoryMessages, 0, errors.New("any")}}
	if len(got) != len(want) {
		t.Fatalf("observations %+v", got)
	}
	for i, w := range want {
		if got[i].category != w.category || got[i].status != w.status || (got[i].err == nil) != (w.err == nil) {
			t.Errorf("observation %d: %+v, want %+v", i, got[i], w)
		}
	}
}

package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldrt/herald/shared/token"
)

// gatedJWKS serves a key set; while gated, each request signals entered and
// blocks until the gate opens or the request ends.
type gatedJWKS struct {
	*httptest.Server
	keys    []map[string]any
	gated   atomic.Bool
	entered chan struct{}
	gate    chan struct{}
	hits    atomic.Int32
}

func newGatedJWKS(t *testing.T, keys ...map[string]any) *gatedJWKS {
	s := &gatedJWKS{keys: keys, entered: make(chan struct{}, 16), gate: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.gated.Load() {
			s.entered <- struct{}{}
			select {
			case <-s.gate:
			case <-r.Context().Done():
				return
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

// syncClock is a clock that goroutines may read while a test moves it.
type syncClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *syncClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *syncClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// waitFor fails the test when done has not been closed after a generous
// bound: the call it guards would otherwise hang the test.
func waitFor(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: blocked behind a key set fetch", what)
	}
}

// A refresh of a stale key set is under way and its server hangs: tokens
// whose key is cached are verified meanwhile, a token needing a fetch waits
// only as long as its own ctx, and the refresh's result is used once it
// lands.
func TestJWKSFetchHoldsNoLock(t *testing.T) {
	r0 := rsaKey(t, 0)
	srv := newGatedJWKS(t, rsaJWK("r0", r0))
	clk := &syncClock{now: t0}
	v, err := token.NewJWKSAppVerifier(token.JWKSAppConfig{URL: srv.URL, Client: srv.Client(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodRS256, r0, appClaims(), map[string]any{"kid": "r0"})
	if _, err := v.VerifyApp(context.Background(), tok); err != nil {
		t.Fatalf("first use: %v", err)
	}

	clk.Set(t0.Add(2 * time.Hour)) // stale: the next call refreshes
	srv.gated.Store(true)
	refreshed := make(chan error, 1)
	go func() {
		_, err := v.VerifyApp(context.Background(), tok)
		refreshed <- err
	}()
	<-srv.entered // the refresh is in flight and hangs

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := v.VerifyApp(context.Background(), tok); err != nil {
			t.Errorf("cached key during a refresh: %v", err)
		}
	}()
	waitFor(t, "a token with a cached key", done)

	// An unknown kid needs the fetch under way: it waits for it, bounded by
	// its ctx, without starting a second fetch.
	ctx, cancel := context.WithCancel(context.Background())
	unknown := sign(t, jwt.SigningMethodRS256, r0, appClaims(), map[string]any{"kid": "r9"})
	clk.Set(t0.Add(2*time.Hour + time.Minute))
	done = make(chan struct{})
	go func() {
		defer close(done)
		if _, err := v.VerifyApp(ctx, unknown); !errors.Is(err, token.ErrKeySource) {
			t.Errorf("unknown kid, ctx canceled while waiting: err = %v, want ErrKeySource", err)
		}
	}()
	cancel()
	waitFor(t, "a canceled wait", done)

	close(srv.gate)
	if err := <-refreshed; err != nil {
		t.Errorf("refreshing call: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2 (one refresh, shared)", n)
	}
}

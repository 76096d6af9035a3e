package livetrace_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/livetrace"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	htoken "github.com/heraldrt/herald/shared/token"
)

const key = "live-trace-test-key-0123456789"

func newServer(t *testing.T, cfg livetrace.Config) (*livetrace.Server, *httptest.Server) {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []string{"other-key", key}
	}
	lt, err := livetrace.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lt.Start()
	srv := httptest.NewServer(lt)
	t.Cleanup(func() { lt.Close(); srv.Close() })
	return lt, srv
}

func token(t *testing.T, k string, lifetime time.Duration, at time.Time) string {
	t.Helper()
	tok, err := livetrace.Token(k, lifetime, at)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// stream is a client of /livetrace/events.
type stream struct {
	resp   *http.Response
	events chan diag.Event
}

func openStream(t *testing.T, base, tok string) *stream {
	t.Helper()
	resp, err := http.Get(base + "/livetrace/events?access_token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{resp: resp, events: make(chan diag.Event, 100)}
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.events)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var e diag.Event
				if json.Unmarshal([]byte(data), &e) == nil {
					s.events <- e
				}
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close(); <-done })
	return s
}

func (s *stream) expect(t *testing.T, name string) diag.Event {
	t.Helper()
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended before %s", name)
			}
			if e.Name == name {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event", name)
		}
	}
}

func TestTokens(t *testing.T) {
	tr := diag.New(diag.Config{})
	_, srv := newServer(t, livetrace.Config{Tracer: tr})
	now := time.Now()
	issue := func(aud string, lifetime time.Duration, alg string) string {
		iss, err := htoken.NewIssuer(htoken.IssuerConfig{Key: key, Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := iss.Issue(aud, nil, lifetime)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for name, tok := range map[string]string{
		"missing":   "",
		"wrong key": token(t, "not-the-key-0123456789", time.Hour, now),
		"expired":   token(t, key, time.Minute, now.Add(-time.Hour)),
		"garbage":   "a.b.c",
		// A client token of the same key: another audience.
		"client token": issue("http://localhost/client/?hub=chat", time.Hour, "HS256"),
		"longer lived": issue(livetrace.Audience, 48*time.Hour, "HS256"),
		"HS512":        issue(livetrace.Audience, time.Hour, "HS512"),
	} {
		resp, err := http.Get(srv.URL + "/livetrace/events?access_token=" + tok)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: %d", name, resp.StatusCode)
		}
	}
	if _, err := livetrace.Token(key, 48*time.Hour, now); err == nil {
		t.Error("a 48h token was issued")
	}
	if _, err := livetrace.Token("", time.Hour, now); err == nil {
		t.Error("a token without a key was issued")
	}
	if tr.Watchers() != 0 {
		t.Error("a refused stream counts as a watcher")
	}
	// The control: the same token as the refused ones but for the one
	// difference each has is accepted.
	resp, err := http.Get(srv.URL + "/livetrace/events?access_token=" + issue(livetrace.Audience, time.Hour, "HS256"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a live trace token from the shared issuer: %d", resp.StatusCode)
	}
}

// The page is served; the stream carries events emitted while it is open,
// and a node with no stream wants no events.
func TestStreamAndPage(t *testing.T) {
	tr := diag.New(diag.Config{})
	lt, srv := newServer(t, livetrace.Config{Tracer: tr})
	resp, err := http.Get(srv.URL + "/livetrace/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if tr.Connectivity() {
		t.Fatal("events wanted with nobody watching")
	}
	s := openStream(t, srv.URL, token(t, key, time.Hour, time.Now()))
	if !tr.Connectivity() || !tr.Messaging(false) || !tr.HTTP() {
		t.Fatal("events not wanted while watched")
	}
	tr.Emit(diag.Event{Category: diag.Connectivity, Name: diag.ConnectionStarted, Hub: "chat", ConnectionID: "c1"})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.MessageDelivered, ConnectionID: "c1", TraceID: "t1"})
	if e := s.expect(t, diag.ConnectionStarted); e.Hub != "chat" || e.ConnectionID != "c1" || e.Category != diag.Connectivity {
		t.Fatalf("event %+v", e)
	}
	if e := s.expect(t, diag.MessageDelivered); e.TraceID != "t1" || e.Category != diag.Messaging {
		t.Fatalf("event %+v", e)
	}
	lt.Close() // ends the stream
	for range s.events {
	}
	if tr.Watchers() != 0 {
		t.Fatal("watcher left after Close")
	}
}

// Over a real Redis, a watcher on node A sees node B's events; B relays
// only while someone watches.
func TestRelayAcrossNodes(t *testing.T) {
	rdb, err := redisbus.NewClient(redistest.Addr(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := redistest.KeyPrefix(t)
	nodes := make([]*diag.Tracer, 2)
	urls := make([]string, 2)
	for i := range nodes {
		b, err := redisbus.New(redisbus.Config{Client: rdb, KeyPrefix: prefix, Stateless: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		nodes[i] = diag.New(diag.Config{Node: []string{"a", "b"}[i]})
		_, srv := newServer(t, livetrace.Config{Tracer: nodes[i], Relay: b, RelayPoll: 50 * time.Millisecond})
		urls[i] = srv.URL
	}
	if nodes[1].Connectivity() {
		t.Fatal("node b wants events with nobody watching")
	}
	s := openStream(t, urls[0], token(t, key, time.Hour, time.Now()))
	testsupport.EventuallyTrue(t, 10*time.Second, "node b learning that node a watches", nodes[1].Connectivity)
	// The watcher's subscription may lag the flag: emit until one arrives.
	got := make(chan diag.Event, 1)
	go func() {
		for e := range s.events {
			if e.Node == "b" {
				got <- e
				return
			}
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for {
		nodes[1].Emit(diag.Event{Category: diag.Connectivity, Name: diag.ConnectionStarted, Hub: "chat", ConnectionID: "on-b"})
		select {
		case e := <-got:
			if e.ConnectionID != "on-b" || e.Name != diag.ConnectionStarted {
				t.Fatalf("relayed %+v", e)
			}
			return
		case <-tick.C:
		case <-timeout:
			t.Fatal("no event from node b")
		}
	}
}

package albstand

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// echo is a Lambda target answering with the event's path and method.
type echo struct{ events [][]byte }

func (e *echo) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	e.events = append(e.events, payload)
	return []byte(`{"statusCode":201,"multiValueHeaders":{"X-Got":["yes"]},"body":"ok","isBase64Encoded":false}`), nil
}

func TestRoutesByPriorityAndDefault(t *testing.T) {
	fn := &echo{}
	lb := New(quiet, []Rule{
		{Priority: 30, Patterns: []string{"/api/*"}, TargetGroup: "api"},
		{Priority: 10, Patterns: []string{"/api/negotiate"}, TargetGroup: "negotiate"},
	}, FixedResponse{Status: 404, ContentType: "application/json", Body: `{"code":"none"}`})
	defer lb.Close()
	lb.AddLambda("negotiate", "negotiate", fn, true)
	resp, err := http.Post(lb.URL()+"/api/negotiate?hub=a&hub=b", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Got") != "yes" || len(fn.events) != 1 {
		t.Fatalf("negotiate: %d %v, %d events", resp.StatusCode, resp.Header, len(fn.events))
	}
	if ev := string(fn.events[0]); !strings.Contains(ev, `"multiValueQueryStringParameters":{"hub":["a","b"]}`) {
		t.Errorf("event %s: want both query values (multi-value headers on)", ev)
	}
	// /api/other goes to "api", which has no target: 503, not the listener default.
	resp, err = http.Get(lb.URL() + "/api/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/api/other: %d, want 503", resp.StatusCode)
	}
	resp, err = http.Get(lb.URL() + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || string(body) != `{"code":"none"}` {
		t.Errorf("default: %d %s", resp.StatusCode, body)
	}
}

func TestHealthThresholdsAndDraining(t *testing.T) {
	var failing atomic.Bool
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/livez":
			if failing.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		case "/hold":
			w.(http.Flusher).Flush()
			<-release
		}
	}))
	defer backend.Close()
	defer close(release)
	g := NewGroup(quiet, "gw", HealthCheck{Path: "/livez", Interval: 20 * time.Millisecond, Timeout: 10 * time.Millisecond, Healthy: 2, Unhealthy: 3, Matcher: "200"}, 300*time.Millisecond, false)
	lb := New(quiet, []Rule{{Priority: 1, Patterns: []string{"/*"}, TargetGroup: "gw"}}, FixedResponse{Status: 404})
	defer lb.Close()
	lb.AddGroup("gw", g)
	target := g.Register(strings.TrimPrefix(backend.URL, "http://"))
	if err := g.WaitHealthy(target, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	testsupport.Until(2*time.Second, func() bool { return target.State() == Unhealthy })
	if target.State() != Unhealthy || len(g.Replacements()) != 1 {
		t.Fatalf("state %s, replacements %v: want unhealthy after 3 failed checks", target.State(), g.Replacements())
	}
	failing.Store(false)
	if err := g.WaitHealthy(target, 2*time.Second); err != nil {
		t.Fatal(err)
	}

	// A request held open is cut at the end of the deregistration delay.
	resp, err := http.Get(lb.URL() + "/hold")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if target.Connections() != 1 {
		t.Fatalf("%d connections to the target, want 1", target.Connections())
	}
	d := g.Deregister(target)
	if d.EndedEarly || d.Cut != 1 || d.Took < 300*time.Millisecond {
		t.Errorf("drain %+v: want the held request cut after the 300 ms delay", d)
	}
	// No target left: 503.
	resp2, err := http.Get(lb.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after deregistration: %d, want 503", resp2.StatusCode)
	}
	// A target without connections drains at once.
	other := g.Register(strings.TrimPrefix(backend.URL, "http://"))
	if d := g.Deregister(other); !d.EndedEarly || d.Cut != 0 {
		t.Errorf("idle drain %+v: want it to end at once", d)
	}
}

package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// splitProxy is a load balancer without sticky sessions, rigged against the
// gateways: negotiate and a connection's first transport request (the GET
// that opens the event stream, the first poll) go to the first gateway;
// every later request of the connection (its POSTs, polls and DELETE) goes
// to the second, which does not hold the connection.
type splitProxy struct {
	srv     *httptest.Server
	targets [2]*url.URL
	mu      sync.Mutex
	opened  map[string]bool // connection tokens whose first request went out
	served  [2]atomic.Int64 // transport requests sent to each gateway
}

func newSplitProxy(t *testing.T, first, second string) *splitProxy {
	t.Helper()
	p := &splitProxy{opened: map[string]bool{}}
	for i, s := range []string{first, second} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		p.targets[i] = u
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.targets[p.pick(pr.In)])
			pr.Out.Host = pr.In.Host
		},
		Transport:     tr,
		FlushInterval: -1,
	}
	p.srv = httptest.NewServer(rp)
	t.Cleanup(func() {
		p.srv.Close()
		tr.CloseIdleConnections()
	})
	return p
}

// pick returns the gateway (0 or 1) for r.
func (p *splitProxy) pick(r *http.Request) int {
	id := r.URL.Query().Get("id")
	if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/negotiate") || id == "" {
		return 0
	}
	p.mu.Lock()
	gw := 1
	if !p.opened[id] {
		p.opened[id], gw = true, 0
	}
	p.mu.Unlock()
	p.served[gw].Add(1)
	return gw
}

// Behind a load balancer without sticky sessions, Server-Sent Events
// and Long Polling work with the official client although every request after
// the first lands on the gateway that does not hold the connection: sends,
// client invocations, the polls that carry messages and close reasons.
func TestMultiNodeHTTPTransportsWithoutStickySessions(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	p := newSplitProxy(t, c.gateways[gw1].URL(), c.gateways[gw2].URL())
	ctx := context.Background()
	kinds := []combo{combos[2], combos[3], combos[4]} // sse-json, lp-json, lp-msgpack
	ids := map[string]string{}
	for _, k := range kinds {
		u, tok := c.clientURL(t, k.name, "user-"+k.name, strings.TrimPrefix(p.srv.URL, "http://"))
		opts := k.options(u, false)
		opts.Headers, opts.AccessToken = nil, tok
		ids[k.name] = c.js.ConnectWait(t, opts, wait)
	}
	for _, k := range kinds {
		text := c.payload("user")
		status(t, "send to user", http.StatusAccepted)(c.rest.SendToUser(ctx, hub, "user-"+k.name, recv, []any{text}))
		c.expectRecv(t, k.name, text)
		expectNoUpstream(t, c.js, k.name)
	}
	text := c.payload("all")
	status(t, "send to all", http.StatusAccepted)(c.rest.SendToAll(ctx, hub, recv, []any{text}))
	for _, k := range kinds {
		c.expectRecv(t, k.name, text)
	}
	for _, k := range kinds {
		closeWithReason(t, c.rest, c.js, k.name, ids[k.name])
	}
	if p.served[gw2].Load() == 0 || !strings.Contains(c.gateways[gw2].Logs(), "forwarding") {
		t.Errorf("gateway 2 forwarded nothing (%d requests reached it)", p.served[gw2].Load())
	}
}

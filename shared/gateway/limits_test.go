package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/testsupport"
)

// limitCounter is a Metrics that also counts limit refusals.
type limitCounter struct {
	noMetrics
	mu  sync.Mutex
	got map[string]int
}

func (m *limitCounter) LimitReached(limit string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.got == nil {
		m.got = map[string]int{}
	}
	m.got[limit]++
}

func (m *limitCounter) count(limit string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.got[limit]
}

// A node holding MaxHubs hubs refuses a connect to another hub with 429,
// logs and counts it; connects to the hubs it holds still work, and the
// hub slot comes back with the hub's last connection.
func TestHubLimit(t *testing.T) {
	logs, m := &testsupport.Buffer{}, &limitCounter{}
	h := newHarness(t, func(c *Config) { withLog(logs)(c); c.MaxHubs = 2; c.Metrics = m })
	a := h.connect("one", "a")
	h.connect("two", "b")
	h.connect("one", "c")
	nr, tok := negotiated(t, h, "three", "d")
	if err := dialStatus(h, "three", nr.ConnectionToken, tok); !strings.Contains(err, "429") {
		t.Fatalf("connect to a third hub: %q, want 429", err)
	}
	if m.count(LimitHubs) != 1 || !strings.Contains(logs.String(), ReasonHubLimit) {
		t.Errorf("refusal not counted (%d) or logged:\n%s", m.count(LimitHubs), logs)
	}
	_ = a.nc.Close()
	h.connect("two", "e")
	waitFor(t, func() bool { return h.gw.idx.hubCount() == 2 })
	// "one" still has c: no room yet.
	nr, tok = negotiated(t, h, "three", "d")
	if err := dialStatus(h, "three", nr.ConnectionToken, tok); !strings.Contains(err, "429") {
		t.Fatalf("connect to a third hub: %q, want 429", err)
	}
}

// MaxAddressConnections bounds the connections of one client address; with
// ForwardedHops the address is the one the trusted proxy appended, and a
// forged leftmost entry changes nothing.
func TestAddressLimit(t *testing.T) {
	m := &limitCounter{}
	h := newHarness(t, func(c *Config) { c.MaxAddressConnections = 2; c.Metrics = m })
	first := h.connect("chat", "a")
	h.connect("other", "b")
	nr, tok := negotiated(t, h, "chat", "c")
	if err := dialStatus(h, "chat", nr.ConnectionToken, tok); !strings.Contains(err, "429") {
		t.Fatalf("third connect from one address: %q, want 429", err)
	}
	if m.count(LimitAddressConnections) != 1 {
		t.Errorf("refusals counted %d, want 1", m.count(LimitAddressConnections))
	}
	_ = first.nc.Close()
	waitFor(t, func() bool {
		h.gw.idx.mu.RLock()
		defer h.gw.idx.mu.RUnlock()
		return h.gw.idx.perAddr["127.0.0.1"] == 1
	})
	h.connect("chat", "c")
}

func TestClientAddress(t *testing.T) {
	for _, tc := range []struct {
		xff  []string
		hops int
		want string
	}{
		{nil, 0, "192.0.2.1"},
		{[]string{"198.51.100.9"}, 0, "192.0.2.1"},
		{[]string{"198.51.100.9"}, 1, "198.51.100.9"},
		{[]string{"6.6.6.6, 198.51.100.9"}, 1, "198.51.100.9"},
		{[]string{"6.6.6.6", "198.51.100.9, 10.0.0.2"}, 2, "198.51.100.9"},
		{[]string{"198.51.100.9"}, 2, "192.0.2.1"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/client/", nil)
		r.RemoteAddr = "192.0.2.1:5555"
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := forwarded.ClientIP(r, tc.hops); got != tc.want {
			t.Errorf("forwarded.ClientIP(%q, %d) = %q, want %q", tc.xff, tc.hops, got, tc.want)
		}
	}
}

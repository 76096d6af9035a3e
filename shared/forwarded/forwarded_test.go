package forwarded

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	for _, c := range []struct {
		name string
		xff  []string
		hops int
		want string
	}{
		{"no proxy", []string{"203.0.113.7"}, 0, "10.0.0.1"},
		{"one hop", []string{"198.51.100.1, 203.0.113.7"}, 1, "203.0.113.7"},
		{"two hops", []string{"198.51.100.1, 203.0.113.7"}, 2, "198.51.100.1"},
		{"two hops over two headers", []string{"198.51.100.1", "203.0.113.7"}, 2, "198.51.100.1"},
		{"more hops than entries", []string{"203.0.113.7"}, 2, "10.0.0.1"},
		{"empty entry", []string{"198.51.100.1, , 203.0.113.7"}, 2, "10.0.0.1"},
		{"no header", nil, 1, "10.0.0.1"},
	} {
		r := &http.Request{RemoteAddr: "10.0.0.1:5000", Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientIP(r, c.hops); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A forged header of many entries is read without allocating.
func TestClientIPDoesNotAllocate(t *testing.T) {
	r := &http.Request{RemoteAddr: "10.0.0.1:5000", Header: http.Header{}}
	for range 100 {
		r.Header.Add("X-Forwarded-For", "1.1.1.1, 2.2.2.2, 3.3.3.3")
	}
	if n := testing.AllocsPerRun(100, func() { _ = ClientIP(r, 2) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

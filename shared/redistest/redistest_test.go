package redistest_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/redistest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// hostOf returns the host:port of a redis:// URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" && u.Scheme != "rediss" {
		t.Fatalf("URL %q: want redis://host:port (err %v)", raw, err)
	}
	return u.Host
}

func TestAddrAnswersPing(t *testing.T) {
	if err := redistest.Ping(hostOf(t, redistest.Addr(t))); err != nil {
		t.Fatalf("PING: %v", err)
	}
}

func TestStopRestart(t *testing.T) {
	s := redistest.Start(t)
	if s.URL() != "redis://"+s.Addr() {
		t.Fatalf("URL %q does not match Addr %q", s.URL(), s.Addr())
	}
	if err := redistest.Ping(s.Addr()); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	s.Stop()
	if err := redistest.Ping(s.Addr()); err == nil {
		t.Fatal("PING after Stop succeeded")
	}
	s.Stop() // stopping twice is fine
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if err := redistest.Ping(s.Addr()); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
}

func TestKeyPrefixUnique(t *testing.T) {
	a, b := redistest.KeyPrefix(t), redistest.KeyPrefix(t)
	if a == b {
		t.Fatalf("KeyPrefix twice = %q", a)
	}
}

// runFunc is a redistest.TestingM.
type runFunc func() int

func (f runFunc) Run() int { return f() }

func TestWithServer(t *testing.T) {
	redistest.SkipShort(t)         // WithServer starts nothing under -short
	t.Setenv(redistest.EnvURL, "") // make WithServer start its own
	var url string
	code := redistest.WithServer(runFunc(func() int {
		url = os.Getenv(redistest.EnvURL)
		if url == "" || redistest.Addr(t) != url {
			return 2
		}
		if err := redistest.Ping(hostOf(t, url)); err != nil {
			t.Errorf("PING during Run: %v", err)
			return 3
		}
		return 0
	})).Run()
	if code != 0 {
		t.Fatalf("Run = %d (REDIS_URL %q)", code, url)
	}
	if got := os.Getenv(redistest.EnvURL); got != "" {
		t.Errorf("REDIS_URL after Run = %q", got)
	}
	if err := redistest.Ping(hostOf(t, url)); err == nil {
		t.Error("server still answers after Run")
	}
}

func TestStartCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	addrs := c.Addrs()
	if len(addrs) != redistest.ClusterMasters {
		t.Fatalf("%d nodes, want %d", len(addrs), redistest.ClusterMasters)
	}
	if want := "redis+cluster://" + strings.Join(addrs, ","); c.URL() != want {
		t.Fatalf("URL %q, want %q", c.URL(), want)
	}
	for _, a := range addrs {
		if err := redistest.Ping(a); err != nil {
			t.Fatalf("PING %s: %v", a, err)
		}
	}
	c.Stop()
	for _, a := range addrs {
		if err := redistest.Ping(a); err == nil {
			t.Fatalf("PING %s after Stop succeeded", a)
		}
	}
}

package redisbus_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestNewRejectsBadConfig(t *testing.T) {
	rdb := newClient(t, "")
	// A client that speaks RESP3 (go-redis's default) would lose messages
	// from a subscription's backlog (TestBacklogLosesNothing).
	opt, err := redis.ParseURL(redistest.Addr(t) + "?protocol=3")
	if err != nil {
		t.Fatal(err)
	}
	resp3 := redis.NewClient(opt)
	t.Cleanup(func() { _ = resp3.Close() })
	for _, tc := range []struct {
		name string
		cfg  redisbus.Config
	}{
		{"no client", redisbus.Config{}},
		{"brace in prefix", redisbus.Config{Client: rdb, KeyPrefix: "a{b"}},
		{"NodeTTL not above HeartbeatInterval", redisbus.Config{Client: rdb, HeartbeatInterval: time.Second, NodeTTL: time.Second}},
		{"NodeTTL below the default HeartbeatInterval", redisbus.Config{Client: rdb, NodeTTL: time.Second}},
		{"RESP3 client for a gateway node", redisbus.Config{Client: resp3}},
	} {
		if b, err := redisbus.New(tc.cfg); err == nil {
			_ = b.Close()
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}

func TestNewClient(t *testing.T) {
	if _, err := redisbus.NewClient("http://nope"); err == nil {
		t.Error("NewClient accepted a non-redis URL")
	}
	rdb := newClient(t, "")
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	// go-redis stores "no retry" (-1) as 0 once a Client is built; a
	// ClusterClient keeps -1. REDIS_URL may name a Redis Cluster.
	var o *redis.Options
	switch c := rdb.(type) {
	case *redis.Client:
		o = c.Options()
	case *redis.ClusterClient:
		co := c.Options()
		o = &redis.Options{DialTimeout: co.DialTimeout, MaxRetries: max(co.MaxRetries, 0), ContextTimeoutEnabled: co.ContextTimeoutEnabled}
	default:
		t.Fatalf("NewClient = %T", rdb)
	}
	if o.DialTimeout != 2*time.Second || o.MaxRetries != 0 || !o.ContextTimeoutEnabled {
		t.Errorf("options: dial %v, retries %d, context timeouts %v", o.DialTimeout, o.MaxRetries, o.ContextTimeoutEnabled)
	}
}

// TestHubNamesWithBraces: a brace would break the hub's hash tag, so such
// hubs are invalid arguments (Herald's hub names never contain one).
func TestHubNamesWithBraces(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	presence := func(_ bool, err error) error { return err }
	for name, err := range map[string]error{
		"Register":   func() error { _, err := gw.Register(ctx, bus.Conn{Hub: "a}b", ID: "c"}); return err }(),
		"Unregister": gw.Unregister(ctx, "{a", "c"),
		"Publish":    gw.Publish(ctx, send("x{y}", bus.ScopeAll, "", "t")),
		"AddToGroup": gw.AddToGroup(ctx, "x{y}", "g", "c"),
		"AddUser":    gw.AddUserToGroup(ctx, "x{y}", "g", "u", -1),
		"RemoveUser": gw.RemoveUserFromAllGroups(ctx, "x{y}", "u"),
		"Exists":     presence(gw.ConnectionExists(ctx, "x{y}", "c")),
		"InGroup":    presence(gw.UserInGroup(ctx, "x{y}", "g", "u")),
	} {
		if !errors.Is(err, bus.ErrInvalidArgument) {
			t.Errorf("%s with a brace in the hub = %v, want ErrInvalidArgument", name, err)
		}
	}
}

// TestNewClusterClient: redis+cluster:// and rediss+cluster:// URLs make a
// ClusterClient seeded with every listed address and the bus's settings.
func TestNewClusterClient(t *testing.T) {
	for _, tc := range []struct {
		url   string
		addrs []string
		tls   bool
		user  string
	}{
		{"redis+cluster://10.0.0.1:6379", []string{"10.0.0.1:6379"}, false, ""},
		{"redis+cluster://u:pw@a:7000,b:7001,c:7002/0", []string{"a:7000", "b:7001", "c:7002"}, false, "u"},
		{"rediss+cluster://cfg.example.cache.amazonaws.com:6379?dial_timeout=5s", []string{"cfg.example.cache.amazonaws.com:6379"}, true, ""},
	} {
		c, err := redisbus.NewClient(tc.url)
		if err != nil {
			t.Errorf("NewClient(%q): %v", tc.url, err)
			continue
		}
		cc, ok := c.(*redis.ClusterClient)
		if !ok {
			t.Errorf("NewClient(%q) = %T, want a *redis.ClusterClient", tc.url, c)
			_ = c.Close()
			continue
		}
		o := cc.Options()
		if !slices.Equal(o.Addrs, tc.addrs) || (o.TLSConfig != nil) != tc.tls || o.Username != tc.user {
			t.Errorf("NewClient(%q): addrs %q, TLS %v, user %q", tc.url, o.Addrs, o.TLSConfig != nil, o.Username)
		}
		if want := 2 * time.Second; strings.Contains(tc.url, "dial_timeout") {
			if o.DialTimeout != 5*time.Second {
				t.Errorf("NewClient(%q): dial timeout %v, want the URL's", tc.url, o.DialTimeout)
			}
		} else if o.DialTimeout != want || o.MaxRetries != -1 || o.MaxRedirects != 3 || !o.ContextTimeoutEnabled {
			t.Errorf("NewClient(%q): dial %v, retries %d, redirects %d, context timeouts %v",
				tc.url, o.DialTimeout, o.MaxRetries, o.MaxRedirects, o.ContextTimeoutEnabled)
		}
		_ = cc.Close()
	}
	for _, bad := range []string{"redis+cluster://a:1/2", "redis+cluster://a:1,,b:2", "redis+cluster://a:1?nope=1"} {
		if c, err := redisbus.NewClient(bad); err == nil {
			_ = c.Close()
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}

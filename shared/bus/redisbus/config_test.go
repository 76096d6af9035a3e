package redisbus_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/redis/go-redis/v9"
)

func TestNewRejectsBadConfig(t *testing.T) {
	rdb := newClient(t, "")
	for _, tc := range []struct {
		name string
		cfg  redisbus.Config
	}{
		{"no client", redisbus.Config{}},
		{"brace in prefix", redisbus.Config{Client: rdb, KeyPrefix: "a{b"}},
		{"NodeTTL not above HeartbeatInterval", redisbus.Config{Client: rdb, HeartbeatInterval: time.Second, NodeTTL: time.Second}},
		{"NodeTTL below the default HeartbeatInterval", redisbus.Config{Client: rdb, NodeTTL: time.Second}},
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
	// go-redis stores "no retry" (-1) as 0 once the client is built.
	if o := rdb.(*redis.Client).Options(); o.DialTimeout != 2*time.Second || o.MaxRetries != 0 || !o.ContextTimeoutEnabled {
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

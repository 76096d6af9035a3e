package tests

import (
	"context"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// On a Redis Cluster (three masters, --redis redis+cluster://…): two gateway processes
// and the functions process deliver REST sends to official JS clients on both gateways,
// to all, to a user, to a group and to one connection, and see their presence.
func TestMultiNodeRedisCluster(t *testing.T) {
	t.Parallel()
	c := newClusterOn(t, redistest.ClusterAddr(t), 2)
	ctx := context.Background()
	a1 := c.connectTo(t, gw1, "a1", "alice")
	b2 := c.connectTo(t, gw2, "b2", "bob")
	all := []string{"a1", "b2"}
	args := func(text string) []any { return []any{text} }
	expect := func(what string, send func(text string) (*mgmt.Response, error), names ...string) {
		t.Helper()
		text := c.payload(what)
		status(t, what, http.StatusAccepted)(send(text))
		for _, name := range names {
			c.expectRecv(t, name, text)
		}
		c.settle(t, all...)
	}
	expect("all", func(s string) (*mgmt.Response, error) { return c.rest.SendToAll(ctx, hub, recv, args(s)) }, all...)
	expect("user", func(s string) (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "bob", recv, args(s)) }, "b2")
	expect("connection", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToConnection(ctx, hub, a1, recv, args(s))
	}, "a1")
	status(t, "add b2 to g", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g", b2))
	status(t, "add alice to ug", http.StatusOK)(c.rest.AddUserToGroup(ctx, hub, "alice", "ug"))
	expect("group", func(s string) (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "g", recv, args(s)) }, "b2")
	expect("user-group", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "ug", recv, args(s))
	}, "a1")
	ok(t, "connection a1 exists")(c.rest.Do(ctx, http.MethodHead, hub, "/connections/"+mgmt.Escape(a1), nil, nil))
	ok(t, "user bob exists")(c.rest.Do(ctx, http.MethodHead, hub, "/users/bob", nil, nil))
}

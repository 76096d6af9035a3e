package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

func TestSendToAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.connect(t, "c1", "alice")
	id2 := e.connect(t, "c2", "bob")
	e.connect(t, "c3", "")

	text := e.payload("all")
	status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	for _, name := range []string{"c1", "c2", "c3"} {
		e.expectRecv(t, name, text)
	}
	e.settle(t, "c1", "c2", "c3")

	text = e.payload("all-but-c2")
	status(t, "send to all excluding c2", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}, id2))
	e.expectRecv(t, "c1", text)
	e.expectRecv(t, "c3", text)
	e.settle(t, "c1", "c2", "c3")
}

func TestSendToUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.connect(t, "alice1", "alice")
	e.connect(t, "alice2", "alice")
	e.connect(t, "bob", "bob")
	e.connect(t, "anon", "")

	text := e.payload("to-alice")
	status(t, "send to user alice", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "alice", recv, []any{text}))
	e.expectRecv(t, "alice1", text)
	e.expectRecv(t, "alice2", text)

	status(t, "send to a user with no connection", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "nobody", recv, []any{"lost"}))
	e.settle(t, "alice1", "alice2", "bob", "anon")
}

func TestSendToGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id1 := e.connect(t, "c1", "alice")
	id2 := e.connect(t, "c2", "bob")
	e.connect(t, "c3", "carol")
	const group = "room 1/α" // escaped by the client like the SDK does
	status(t, "add c1", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id1))
	status(t, "add c2", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id2))

	text := e.payload("group")
	status(t, "send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	e.expectRecv(t, "c2", text)
	e.settle(t, "c1", "c2", "c3")

	text = e.payload("group-but-c1")
	status(t, "send to group excluding c1", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}, id1))
	e.expectRecv(t, "c2", text)
	e.settle(t, "c1", "c2", "c3")

	status(t, "remove c2", http.StatusOK)(e.rest.RemoveFromGroup(ctx, hub, group, id2))
	text = e.payload("group-after-leave")
	status(t, "send to group after c2 left", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	e.settle(t, "c1", "c2", "c3")
}

func TestSendToConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.connect(t, "c1", "alice")
	id2 := e.connect(t, "c2", "alice")

	args := []any{e.payload("direct"), 42, map[string]any{"k": []any{1.5, true, nil}}}
	status(t, "send to c2", http.StatusAccepted)(e.rest.SendToConnection(ctx, hub, id2, recv, args))
	ev := e.js.ExpectMessage(t, "c2", recv, wait)
	got, _ := json.Marshal(ev.Args)
	if want, _ := json.Marshal(args); string(got) != string(want) {
		t.Errorf("c2 got arguments %s, want %s", got, want)
	}
	e.settle(t, "c1", "c2")
}

// A group send issued right after the add-to-group call returned must reach the new
// member: membership and messages are ordered.
func TestAddToGroupThenImmediateSend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id := e.connect(t, "c1", "alice")
	e.connect(t, "c2", "bob")

	for i := range 20 {
		group := fmt.Sprintf("g%d", i)
		status(t, "add to "+group, http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id))
		text := e.payload(group)
		status(t, "send to "+group, http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
		e.expectRecv(t, "c1", text)
	}
	e.settle(t, "c1", "c2")
}

// PUT users/{user}/groups/{group} applies to the user's connections opened later.
func TestUserGroupAppliesToLaterConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ok(t, "add user carol to vip")(e.rest.AddUserToGroup(ctx, hub, "carol", "vip"))

	e.connect(t, "carol", "carol")
	e.connect(t, "dave", "dave")
	status(t, "carol in vip", http.StatusOK)(e.rest.UserInGroup(ctx, hub, "carol", "vip"))
	status(t, "group vip exists", http.StatusOK)(e.rest.GroupExists(ctx, hub, "vip"))

	text := e.payload("vip")
	status(t, "send to vip", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, "vip", recv, []any{text}))
	e.expectRecv(t, "carol", text)
	e.settle(t, "carol", "dave")

	// A second connection of the same user joins too.
	e.connect(t, "carol2", "carol")
	text = e.payload("vip2")
	status(t, "send to vip again", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, "vip", recv, []any{text}))
	e.expectRecv(t, "carol", text)
	e.expectRecv(t, "carol2", text)
	e.settle(t, "carol", "carol2", "dave")
}

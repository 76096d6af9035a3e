package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// A REST send reaches JSON and MessagePack clients alike: the official
// MessagePack client decodes the converted arguments to the same values
// (integers stay integers, floats stay floats, maps, arrays, null, booleans).
func TestMessagePackClientReceivesRESTSends(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.connect(t, "j", "alice")
	id := e.connectWith(t, jsclient.MessagePack, "m", "bob")

	args := []any{"text", 42, -7, 3.25, true, nil, map[string]any{"list": []any{1, "two", 3.5}}, 1 << 40}
	status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, args))
	want, _ := json.Marshal(args)
	for _, name := range []string{"j", "m"} {
		ev := e.js.ExpectMessage(t, name, recv, wait)
		got, _ := json.Marshal(ev.Args)
		if string(got) != string(want) {
			t.Errorf("%s got %s, want %s", name, got, want)
		}
	}
	// Connection, user and group sends and a close work for MessagePack too.
	status(t, "add m to g", http.StatusOK)(e.rest.AddToGroup(ctx, hub, "g", id))
	text := e.payload("group")
	status(t, "send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, "g", recv, []any{text}))
	e.expectRecv(t, "m", text)
	text = e.payload("user")
	status(t, "send to user", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "bob", recv, []any{text}))
	e.expectRecv(t, "m", text)
	e.settle(t, "j", "m")

	status(t, "close m", http.StatusOK)(e.rest.CloseConnection(ctx, hub, id, "bye msgpack"))
	closed := e.js.Expect(t, "m", jsclient.KindClosed, wait)
	if closed.ErrorText() == "" || !strings.Contains(closed.ErrorText(), "bye msgpack") {
		t.Errorf("m closed with %q", closed.ErrorText())
	}
}

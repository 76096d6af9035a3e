package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// eventually is testsupport.EventuallyTrue within wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testsupport.EventuallyTrue(t, wait, what, cond)
}

// DELETE connections/{id}?reason=bye closes exactly that client, which reports the reason.
func TestCloseConnectionWithReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id1 := e.connect(t, "c1", "alice")
	e.connect(t, "c2", "alice")

	status(t, "close c1", http.StatusOK)(e.rest.CloseConnection(ctx, hub, id1, "bye"))
	closed := e.js.Expect(t, "c1", jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), "bye") {
		t.Errorf("c1 closed with %q, want the reason \"bye\" (the client shows \"Server returned an error on close: bye\")", closed.ErrorText())
	}
	eventually(t, "HEAD c1 answering 404", func() bool {
		resp, err := e.rest.ConnectionExists(ctx, hub, id1)
		return err == nil && resp.StatusCode == http.StatusNotFound
	})
	e.settle(t, "c2")
	if got := e.js.Pending(jsclient.Is("c2", jsclient.KindClosed)); len(got) > 0 {
		t.Errorf("c2 closed too: %v", got)
	}
}

// HEAD connection/user/group and GET user-in-group answer 200, or 404 with the
// x-ms-error-code the Management SDK needs to report "does not exist".
func TestExistenceChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id := e.connect(t, "c1", "alice")
	status(t, "add c1 to g", http.StatusOK)(e.rest.AddToGroup(ctx, hub, "g", id))
	ok(t, "add user alice to ug")(e.rest.AddUserToGroup(ctx, hub, "alice", "ug"))

	status(t, "HEAD connection c1", http.StatusOK)(e.rest.ConnectionExists(ctx, hub, id))
	notFound(t, "HEAD unknown connection", "Warning.Connection.NotExisted")(e.rest.ConnectionExists(ctx, hub, "no-such-connection"))
	status(t, "HEAD user alice", http.StatusOK)(e.rest.UserExists(ctx, hub, "alice"))
	notFound(t, "HEAD user nobody", "Warning.User.NotExisted")(e.rest.UserExists(ctx, hub, "nobody"))
	status(t, "HEAD group g", http.StatusOK)(e.rest.GroupExists(ctx, hub, "g"))
	status(t, "HEAD group ug (via user membership)", http.StatusOK)(e.rest.GroupExists(ctx, hub, "ug"))
	notFound(t, "HEAD empty group", "Warning.Group.NotExisted")(e.rest.GroupExists(ctx, hub, "empty"))
	status(t, "GET alice in ug", http.StatusOK)(e.rest.UserInGroup(ctx, hub, "alice", "ug"))
	notFound(t, "GET alice in other", "Info.User.NotInGroup")(e.rest.UserInGroup(ctx, hub, "alice", "other"))
	notFound(t, "GET nobody in ug", "Info.User.NotInGroup")(e.rest.UserInGroup(ctx, hub, "nobody", "ug"))

	// Hub names are case-insensitive: the SDK lower-cases them, other callers may not.
	status(t, "HEAD connection in hub Chat", http.StatusOK)(e.rest.ConnectionExists(ctx, "Chat", id))

	// Once the only connection has gone, connection, user and group are gone too.
	if err := e.js.Stop("c1"); err != nil {
		t.Fatal(err)
	}
	e.js.Expect(t, "c1", jsclient.KindClosed, wait)
	eventually(t, "HEAD c1 answering 404", func() bool {
		resp, err := e.rest.ConnectionExists(ctx, hub, id)
		return err == nil && resp.StatusCode == http.StatusNotFound
	})
	notFound(t, "HEAD closed connection", "Warning.Connection.NotExisted")(e.rest.ConnectionExists(ctx, hub, id))
	notFound(t, "HEAD user alice after close", "Warning.User.NotExisted")(e.rest.UserExists(ctx, hub, "alice"))
	notFound(t, "HEAD group g after close", "Warning.Group.NotExisted")(e.rest.GroupExists(ctx, hub, "g"))
}

// REST calls without a valid token get 401 and have no effect.
func TestRESTUnauthorized(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.connect(t, "c1", "alice")

	now := time.Now()
	for _, tc := range []struct {
		name string
		opt  mgmt.Option
	}{
		{"missing token", mgmt.WithoutToken()},
		{"wrong key", mgmt.SignedWith("NOTTHEKEYNOTTHEKEYNOTTHEKEYNOTTHEKEY01234567")},
		{"expired token", mgmt.IssuedAt(now.Add(-2*time.Hour), time.Hour)},
		{"token not valid yet", mgmt.IssuedAt(now.Add(time.Hour), time.Hour)},
	} {
		send := &mgmt.Message{Target: recv, Arguments: []any{"must not arrive: " + tc.name}}
		status(t, tc.name+": send to all", http.StatusUnauthorized)(e.rest.Do(ctx, http.MethodPost, hub, "/:send", nil, send, tc.opt))
		status(t, tc.name+": send to user", http.StatusUnauthorized)(e.rest.Do(ctx, http.MethodPost, hub, "/users/alice/:send", nil, send, tc.opt))
		status(t, tc.name+": HEAD user", http.StatusUnauthorized)(e.rest.Do(ctx, http.MethodHead, hub, "/users/alice", nil, nil, tc.opt))
		status(t, tc.name+": PUT user group", http.StatusUnauthorized)(e.rest.Do(ctx, http.MethodPut, hub, "/users/alice/groups/g", nil, nil, tc.opt))
	}
	notFound(t, "GET alice in g after rejected PUTs", "Info.User.NotInGroup")(e.rest.UserInGroup(ctx, hub, "alice", "g"))
	e.settle(t, "c1")
}

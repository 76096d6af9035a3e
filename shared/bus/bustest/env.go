package bustest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// sendEnv builds a KindSend envelope with one-argument target.
func sendEnv(hub string, scope bus.Scope, id, target string, excluded ...string) *bus.Envelope {
	return &bus.Envelope{
		Kind: bus.KindSend, Hub: hub, Scope: scope, ID: id, Excluded: excluded,
		Message: &bus.Message{Target: target, Arguments: json.RawMessage(`["` + target + `",1]`)},
	}
}

// framedEnv builds a KindSend envelope whose message was pre-encoded by
// the sender.
func framedEnv(hub string, scope bus.Scope, id, target string, jsonRec, mpRec []byte) *bus.Envelope {
	return &bus.Envelope{
		Kind: bus.KindSend, Hub: hub, Scope: scope, ID: id,
		Message: &bus.Message{Target: target, Framed: &bus.Framed{JSON: jsonRec, MessagePack: mpRec}},
	}
}

// closeEnv builds a KindClose envelope.
func closeEnv(hub string, scope bus.Scope, id, reason string, excluded ...string) *bus.Envelope {
	return &bus.Envelope{Kind: bus.KindClose, Hub: hub, Scope: scope, ID: id, Reason: reason, Excluded: excluded}
}

// memberEnv builds the envelope a membership change delivers.
func memberEnv(hub string, kind bus.Kind, scope bus.Scope, id, group string) *bus.Envelope {
	return &bus.Envelope{Kind: kind, Hub: hub, Scope: scope, ID: id, Group: group}
}

// publish publishes a copy of m from the functions node, failing the test
// on error.
func (e *env) publish(m *bus.Envelope) {
	e.t.Helper()
	if err := e.api.Publish(e.ctx, m.Clone()); err != nil {
		e.t.Fatalf("Publish %s: %v", describe(m), err)
	}
}

// ok fails the test when err is not nil.
func (e *env) ok(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// register registers a connection of e.hub on the gateway node and returns
// its groups sorted.
func (e *env) register(id, user string) []string {
	e.t.Helper()
	groups, err := e.gw.Register(e.ctx, bus.Conn{Hub: e.hub, ID: id, User: user})
	e.ok("Register "+id, err)
	groups = slices.Clone(groups)
	slices.Sort(groups)
	return groups
}

// wantGroups checks the groups Register returned.
func (e *env) wantGroups(id, user string, want ...string) {
	e.t.Helper()
	if got := e.register(id, user); !slices.Equal(got, want) {
		e.t.Fatalf("Register %s (user %s) = groups %q, want %q", id, user, got, want)
	}
}

// unregister unregisters a connection of e.hub on the gateway node.
func (e *env) unregister(id string) {
	e.t.Helper()
	e.ok("Unregister "+id, e.gw.Unregister(e.ctx, e.hub, id))
}

// The membership changes and existence checks below run on the functions
// node.

func (e *env) addToGroup(group, id string) {
	e.t.Helper()
	e.ok("AddToGroup "+group+" "+id, e.api.AddToGroup(e.ctx, e.hub, group, id))
}

func (e *env) removeFromGroup(group, id string) {
	e.t.Helper()
	e.ok("RemoveFromGroup "+group+" "+id, e.api.RemoveFromGroup(e.ctx, e.hub, group, id))
}

func (e *env) addUser(group, user string, ttl time.Duration) {
	e.t.Helper()
	e.ok("AddUserToGroup "+group+" "+user, e.api.AddUserToGroup(e.ctx, e.hub, group, user, ttl))
}

func (e *env) removeUser(group, user string) {
	e.t.Helper()
	e.ok("RemoveUserFromGroup "+group+" "+user, e.api.RemoveUserFromGroup(e.ctx, e.hub, group, user))
}

// check fails the test unless the existence check returns want.
func (e *env) check(what string, want bool, got bool, err error) {
	e.t.Helper()
	e.ok(what, err)
	if got != want {
		e.t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func (e *env) wantConn(id string, want bool) {
	e.t.Helper()
	ok, err := e.api.ConnectionExists(e.ctx, e.hub, id)
	e.check("ConnectionExists "+id, want, ok, err)
}

func (e *env) wantUser(user string, want bool) {
	e.t.Helper()
	ok, err := e.api.UserExists(e.ctx, e.hub, user)
	e.check("UserExists "+user, want, ok, err)
}

func (e *env) wantGroup(group string, want bool) {
	e.t.Helper()
	ok, err := e.api.GroupExists(e.ctx, e.hub, group)
	e.check("GroupExists "+group, want, ok, err)
}

func (e *env) wantUserInGroup(group, user string, want bool) {
	e.t.Helper()
	ok, err := e.api.UserInGroup(e.ctx, e.hub, group, user)
	e.check("UserInGroup "+group+" "+user, want, ok, err)
}

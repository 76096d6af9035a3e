package httpapi

import (
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/forwarded"
)

// membershipEvents maps the group membership routes to the messaging event
// a success emits.
var membershipEvents = map[string]string{
	"addConnection":           diag.GroupJoined,
	"removeConnection":        diag.GroupLeft,
	"removeConnectionFromAll": diag.GroupLeft,
	"addUser":                 diag.GroupJoined,
	"removeUser":              diag.GroupLeft,
	"removeUserFromAll":       diag.GroupLeft,
}

// traceMembership emits GroupJoined or GroupLeft, with the call's tracing
// id and the caller's address, after a group membership route succeeded, while messaging events are
// wanted (messaging logs in "all" mode, or a live trace watcher).
func (s *rest) traceMembership(rt boundRoute, c *call) {
	name, ok := membershipEvents[rt.Name]
	if !ok || !s.tracer.Messaging(false) {
		return
	}
	s.tracer.Emit(diag.Event{Category: diag.Messaging, Name: name, Hub: c.hub, TraceID: c.trace,
		Group:        c.r.PathValue("group"),
		ConnectionID: c.r.PathValue("connectionId"),
		UserID:       c.r.PathValue("user"),
		RemoteAddr:   forwarded.ClientIP(c.r, s.hops)})
}

package redisbus

import (
	"slices"
	"sync"

	"github.com/heraldrt/herald/shared/bus"
)

// memberships is a gateway node's copy of the connection-level group
// memberships of its own connections, as the envelopes on its hubs'
// channels told them (the gateways' indexes see the same envelopes in
// the same order). When Redis restarts empty, the node's resync records
// them again, so that REST's existence checks and group sends agree with
// what the gateways deliver (no "ghost" memberships).
type memberships struct {
	mu    sync.Mutex
	conns map[string]map[string]*tracked // hub → connection id → state
}

// tracked is one connection's user and groups (nil until it joins one).
type tracked struct {
	user   string
	groups map[string]struct{}
}

func (t *tracked) add(group string) {
	if t.groups == nil {
		t.groups = make(map[string]struct{})
	}
	t.groups[group] = struct{}{}
}

func (m *memberships) init() { m.conns = make(map[string]map[string]*tracked) }

// add starts tracking a connection, or adds groups to one tracked; it
// reports whether it started.
func (m *memberships) add(hub, conn, user string, groups []string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := m.conns[hub]
	if cs == nil {
		cs = make(map[string]*tracked)
		m.conns[hub] = cs
	}
	t := cs[conn] // envelopes may have come first
	created := t == nil
	if created {
		t = &tracked{user: user}
		cs[conn] = t
	}
	if t.user == "" {
		t.user = user // a takeover learns the user from its script
	}
	for _, g := range groups {
		t.add(g)
	}
	return created
}

// remove stops tracking a connection.
func (m *memberships) remove(hub, conn string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := m.conns[hub]
	delete(cs, conn)
	if len(cs) == 0 {
		delete(m.conns, hub)
	}
}

// groups returns a connection's groups, sorted.
func (m *memberships) groups(hub, conn string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.conns[hub][conn]
	if t == nil {
		return nil
	}
	out := make([]string, 0, len(t.groups))
	for g := range t.groups {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// apply updates the groups of the connections a membership envelope
// names; other envelopes change nothing. It runs on the subscription
// reader, before the node's handlers.
func (m *memberships) apply(e *bus.Envelope) {
	if e.Kind != bus.KindAddToGroup && e.Kind != bus.KindRemoveFromGroup && e.Kind != bus.KindRemoveFromAllGroups {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	change := func(t *tracked) {
		switch e.Kind {
		case bus.KindAddToGroup:
			t.add(e.Group)
		case bus.KindRemoveFromGroup:
			delete(t.groups, e.Group)
		default:
			clear(t.groups)
		}
	}
	cs := m.conns[e.Hub]
	switch e.Scope {
	case bus.ScopeConnection:
		if t := cs[e.ID]; t != nil {
			change(t)
		}
	case bus.ScopeUser:
		for _, t := range cs {
			if t.user == e.ID {
				change(t)
			}
		}
	}
}

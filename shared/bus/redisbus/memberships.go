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
	mu   sync.Mutex
	hubs map[string]*hubMembers
}

// hubMembers is the tracked connections of one hub, by id and by user, so
// that an envelope for one connection or one user costs time in
// proportion to its connections, never to all the hub's.
type hubMembers struct {
	conns map[string]*tracked            // connection id → state
	users map[string]map[string]*tracked // user → connection id → state
}

// setUser files t, the state of connection id, under its user.
func (h *hubMembers) setUser(id string, t *tracked) {
	if t.user == "" {
		return
	}
	us := h.users[t.user]
	if us == nil {
		us = make(map[string]*tracked)
		h.users[t.user] = us
	}
	us[id] = t
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

func (m *memberships) init() { m.hubs = make(map[string]*hubMembers) }

// add starts tracking a connection, or adds groups to one tracked; it
// reports whether it started.
func (m *memberships) add(hub, conn, user string, groups []string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hubs[hub]
	if h == nil {
		h = &hubMembers{conns: make(map[string]*tracked), users: make(map[string]map[string]*tracked)}
		m.hubs[hub] = h
	}
	t := h.conns[conn] // envelopes may have come first
	created := t == nil
	if created {
		t = &tracked{}
		h.conns[conn] = t
	}
	if t.user == "" && user != "" {
		t.user = user // a takeover learns the user from its script
		h.setUser(conn, t)
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
	h := m.hubs[hub]
	if h == nil {
		return
	}
	if t := h.conns[conn]; t != nil && t.user != "" {
		us := h.users[t.user]
		delete(us, conn)
		if len(us) == 0 {
			delete(h.users, t.user)
		}
	}
	delete(h.conns, conn)
	if len(h.conns) == 0 {
		delete(m.hubs, hub)
	}
}

// groups returns a connection's groups, sorted.
func (m *memberships) groups(hub, conn string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hubs[hub]
	if h == nil {
		return nil
	}
	t := h.conns[conn]
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
	h := m.hubs[e.Hub]
	if h == nil {
		return
	}
	switch e.Scope {
	case bus.ScopeConnection:
		if t := h.conns[e.ID]; t != nil {
			change(t)
		}
	case bus.ScopeUser:
		for _, t := range h.users[e.ID] {
			change(t)
		}
	}
}

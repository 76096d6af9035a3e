package gateway

import "sync"

// index finds a hub's local connections by id, user and group, so a send to
// one connection, user or group costs time in proportion to its recipients,
// never to all connections.
type index struct {
	mu       sync.RWMutex
	hubs     map[string]*hubConns
	reserved map[connKey]struct{} // ids between upgrade and handshake
	count    int
}

type connKey struct{ hub, id string }

type connSet map[*conn]struct{}

type hubConns struct {
	conns  map[string]*conn
	users  map[string]connSet
	groups map[string]connSet
}

func newIndex() *index {
	return &index{hubs: map[string]*hubConns{}, reserved: map[connKey]struct{}{}}
}

// reserve claims hub/id for a connection being set up. It reports false
// when the id is connected or being connected already.
func (x *index) reserve(hub, id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := connKey{hub, id}
	if _, ok := x.reserved[k]; ok {
		return false
	}
	if h := x.hubs[hub]; h != nil && h.conns[id] != nil {
		return false
	}
	x.reserved[k] = struct{}{}
	return true
}

// unreserve releases a reservation that did not become a connection.
func (x *index) unreserve(hub, id string) {
	x.mu.Lock()
	delete(x.reserved, connKey{hub, id})
	x.mu.Unlock()
}

// add turns the reservation of c into a live entry.
func (x *index) add(c *conn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.reserved, connKey{c.hub, c.id})
	h := x.hubs[c.hub]
	if h == nil {
		h = &hubConns{conns: map[string]*conn{}, users: map[string]connSet{}, groups: map[string]connSet{}}
		x.hubs[c.hub] = h
	}
	h.conns[c.id] = c
	if c.user != "" {
		addToSet(h.users, c.user, c)
	}
	x.count++
}

// remove drops c and all its memberships.
func (x *index) remove(c *conn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	h := x.hubs[c.hub]
	if h == nil || h.conns[c.id] != c {
		return
	}
	delete(h.conns, c.id)
	if c.user != "" {
		removeFromSet(h.users, c.user, c)
	}
	for g := range c.groups {
		removeFromSet(h.groups, g, c)
	}
	c.groups = nil
	if len(h.conns) == 0 {
		delete(x.hubs, c.hub)
	}
	x.count--
}

// join adds c to group; the caller holds x.mu for writing.
func (h *hubConns) join(c *conn, group string) {
	if c.groups == nil {
		c.groups = map[string]struct{}{}
	}
	c.groups[group] = struct{}{}
	addToSet(h.groups, group, c)
}

// leave removes c from group; the caller holds x.mu for writing.
func (h *hubConns) leave(c *conn, group string) {
	if _, ok := c.groups[group]; !ok {
		return
	}
	delete(c.groups, group)
	if len(c.groups) == 0 {
		c.groups = nil
	}
	removeFromSet(h.groups, group, c)
}

// leaveAll removes c from every group; the caller holds x.mu for writing.
func (h *hubConns) leaveAll(c *conn) {
	for g := range c.groups {
		removeFromSet(h.groups, g, c)
	}
	c.groups = nil
}

// len reports the number of live connections.
func (x *index) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.count
}

// all returns every live connection (shutdown).
func (x *index) all() []*conn {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*conn, 0, x.count)
	for _, h := range x.hubs {
		for _, c := range h.conns {
			out = append(out, c)
		}
	}
	return out
}

func addToSet(m map[string]connSet, key string, c *conn) {
	s := m[key]
	if s == nil {
		s = connSet{}
		m[key] = s
	}
	s[c] = struct{}{}
}

func removeFromSet(m map[string]connSet, key string, c *conn) {
	s := m[key]
	delete(s, c)
	if len(s) == 0 {
		delete(m, key)
	}
}

package gateway

import (
	"errors"
	"sync"
)

// Reasons reserve refuses a connection.
var (
	errIDInUse      = errors.New("connection id in use")
	errHubLimit     = errors.New("hub limit of the node reached")
	errAddressLimit = errors.New("connection limit of the client address reached")
)

// index finds a hub's local connections by id, user and group, so a send to
// one connection, user or group costs time in proportion to its recipients,
// never to all connections.
type index struct {
	mu       sync.RWMutex
	hubs     map[string]*hubConns
	reserved map[connKey]struct{} // ids between upgrade and handshake
	count    int

	// Limits (0: none) and what they count: reserved and live connections
	// by hub, and by client address.
	maxHubs, maxPerAddr int
	hubRefs             map[string]int
	addrs               map[connKey]string // the counted address of a connection
	perAddr             map[string]int
}

type connKey struct{ hub, id string }

type connSet map[*conn]struct{}

type hubConns struct {
	conns  map[string]*conn
	users  map[string]connSet
	groups map[string]connSet
}

// newIndex returns an index refusing a connection that would make this
// node hold more than maxHubs hubs, or more than maxPerAddr connections of
// one client address (0: no limit).
func newIndex(maxHubs, maxPerAddr int) *index {
	return &index{hubs: map[string]*hubConns{}, reserved: map[connKey]struct{}{},
		maxHubs: maxHubs, maxPerAddr: maxPerAddr,
		hubRefs: map[string]int{}, addrs: map[connKey]string{}, perAddr: map[string]int{}}
}

// reserve claims hub/id for a connection being set up from client
// address addr ("" is not counted). It returns errIDInUse when the id is
// connected or being connected already, errHubLimit when hub is new and
// the node holds maxHubs hubs, errAddressLimit when addr holds maxPerAddr
// connections.
func (x *index) reserve(hub, id, addr string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := connKey{hub, id}
	if _, ok := x.reserved[k]; ok {
		return errIDInUse
	}
	if h := x.hubs[hub]; h != nil && h.conns[id] != nil {
		return errIDInUse
	}
	if x.maxHubs > 0 && x.hubRefs[hub] == 0 && len(x.hubRefs) >= x.maxHubs {
		return errHubLimit
	}
	if x.maxPerAddr > 0 && addr != "" && x.perAddr[addr] >= x.maxPerAddr {
		return errAddressLimit
	}
	x.reserved[k] = struct{}{}
	x.hubRefs[hub]++
	if addr != "" {
		x.addrs[k] = addr
		x.perAddr[addr]++
	}
	return nil
}

// releaseLocked gives back what reserve counted for k.
func (x *index) releaseLocked(k connKey) {
	if x.hubRefs[k.hub]--; x.hubRefs[k.hub] <= 0 {
		delete(x.hubRefs, k.hub)
	}
	if a, ok := x.addrs[k]; ok {
		delete(x.addrs, k)
		if x.perAddr[a]--; x.perAddr[a] <= 0 {
			delete(x.perAddr, a)
		}
	}
}

// unreserve releases a reservation that did not become a connection.
func (x *index) unreserve(hub, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := connKey{hub, id}
	if _, ok := x.reserved[k]; ok {
		delete(x.reserved, k)
		x.releaseLocked(k)
	}
}

// hubCount returns how many hubs the node holds or is connecting to.
func (x *index) hubCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.hubRefs)
}

// add turns the reservation of c into a live entry.
func (x *index) add(c *conn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := connKey{c.hub, c.id}
	if _, ok := x.reserved[k]; ok {
		delete(x.reserved, k)
	} else {
		x.hubRefs[c.hub]++ // added without a reservation (tests)
	}
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
	x.releaseLocked(connKey{c.hub, c.id})
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

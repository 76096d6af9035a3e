package redisbus

import "sync"

// local is what a node remembers about its own connections: enough to
// re-register them when Redis lost them, and to retry removals that failed
// while Redis was unreachable.
type local struct {
	mu      sync.Mutex
	conns   map[string]map[string]localConn // hub → connection id → connection
	hubs    map[string]*hubTrack            // hubs with connections, Registers or a hub set entry
	orphans map[orphan]struct{}             // removals to retry
}

// hubTrack is a hub's entry in this incarnation's hub set in Redis (the
// set tells whoever reaps the node where its connections are). The entry
// is added by the hub's first Register and removed after its last
// connection left, so the set (and this map) hold the hubs the node holds
// now, not every hub it ever held.
type hubTrack struct {
	// mu is held across the SADD or SREM of the hub, so a Register adding
	// the hub again waits for a removal in flight and the two reach Redis
	// in order.
	mu      sync.Mutex
	refs    int  // guarded by local.mu: connections held and Registers in flight
	tracked bool // guarded by mu: in the hub set
}

// localConn is what a node keeps of each of its connections.
type localConn struct{ user, addr string }

// orphan is a connection that may still be recorded in Redis although
// this node no longer holds it: its Register or Unregister failed midway.
type orphan struct {
	hub, conn string
	node      string // the incarnation that may have recorded it
}

func (l *local) init() {
	l.conns = make(map[string]map[string]localConn)
	l.hubs = make(map[string]*hubTrack)
	l.orphans = make(map[orphan]struct{})
}

func (l *local) add(hub, conn, user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.conns[hub]
	if cs == nil {
		cs = make(map[string]localConn)
		l.conns[hub] = cs
	}
	cs[conn] = localConn{user: user, addr: addr}
}

// remove forgets a connection. When this node held it, it returns the
// hub's entry, whose reference the connection held (give it back with
// Bus.dropHub); else nil.
func (l *local) remove(hub, conn string) *hubTrack {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.conns[hub]
	if _, ok := cs[conn]; !ok {
		return nil
	}
	delete(cs, conn)
	if len(cs) == 0 {
		delete(l.conns, hub)
	}
	return l.hubs[hub]
}

// count returns how many connections this node holds.
func (l *local) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, cs := range l.conns {
		n += len(cs)
	}
	return n
}

// snapshot returns a copy of the connections by hub.
func (l *local) snapshot() map[string]map[string]localConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]map[string]localConn, len(l.conns))
	for hub, cs := range l.conns {
		c := make(map[string]localConn, len(cs))
		for id, lc := range cs {
			c[id] = lc
		}
		out[hub] = c
	}
	return out
}

// connHubs returns the hubs in which this node holds connections.
func (l *local) connHubs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.conns))
	for hub := range l.conns {
		out = append(out, hub)
	}
	return out
}

// hold takes a reference on hub's entry (a Register in flight or a
// connection held); drop gives it back.
func (l *local) hold(hub string) *hubTrack {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.hubs[hub]
	if t == nil {
		t = &hubTrack{}
		l.hubs[hub] = t
	}
	t.refs++
	return t
}

// unheld reports whether t has no reference left.
func (l *local) unheld(t *hubTrack) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return t.refs == 0
}

// release drops a reference on t and reports whether it was the last.
func (l *local) release(t *hubTrack) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t.refs--
	return t.refs == 0
}

// forget deletes hub's entry when it is t, unreferenced and out of the
// hub set. t.mu must be held.
func (l *local) forget(hub string, t *hubTrack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.refs == 0 && !t.tracked && l.hubs[hub] == t {
		delete(l.hubs, hub)
	}
}

// tracking returns the hubs the process keeps an entry for.
func (l *local) tracking() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hubs)
}

// retrack marks exactly hubs as in the hub set (a new incarnation has a
// new hub set) and forgets unreferenced entries. The caller holds the
// Bus's nodeMu for writing: no Register or Unregister runs.
func (l *local) retrack(hubs []string) {
	in := make(map[string]bool, len(hubs))
	for _, h := range hubs {
		in[h] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for hub, t := range l.hubs {
		t.mu.Lock()
		t.tracked = in[hub]
		t.mu.Unlock()
		if t.refs == 0 && !t.tracked {
			delete(l.hubs, hub)
		}
	}
}

func (l *local) addOrphan(o orphan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orphans[o] = struct{}{}
}

// takeOrphans returns and forgets the pending removals.
func (l *local) takeOrphans() []orphan {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.orphans) == 0 {
		return nil
	}
	out := make([]orphan, 0, len(l.orphans))
	for o := range l.orphans {
		out = append(out, o)
	}
	clear(l.orphans)
	return out
}

package redisbus

import "sync"

// local is what a node remembers about its own connections: enough to
// re-register them when Redis lost them, and to retry removals that failed
// while Redis was unreachable.
type local struct {
	mu      sync.Mutex
	conns   map[string]map[string]localConn // hub → connection id → connection
	tracked map[string]bool                 // hubs in this incarnation's hub set
	orphans map[orphan]struct{}             // removals to retry
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
	l.tracked = make(map[string]bool)
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

// remove forgets a connection and reports whether this node held it.
func (l *local) remove(hub, conn string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.conns[hub]
	if _, ok := cs[conn]; !ok {
		return false
	}
	delete(cs, conn)
	if len(cs) == 0 {
		delete(l.conns, hub)
	}
	return true
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

// hubs returns the hubs in which this node holds connections.
func (l *local) hubs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.conns))
	for hub := range l.conns {
		out = append(out, hub)
	}
	return out
}

// untracked reports whether hub still has to be added to the node's hub
// set in Redis.
func (l *local) untracked(hub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.tracked[hub]
}

func (l *local) track(hubs ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range hubs {
		l.tracked[h] = true
	}
}

// retrack replaces the tracked hubs (a new incarnation has a new hub set).
func (l *local) retrack(hubs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tracked = make(map[string]bool, len(hubs))
	for _, h := range hubs {
		l.tracked[h] = true
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

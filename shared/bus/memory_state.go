package bus

// hubState is what a Memory knows about one hub. It does no locking: the
// Memory holds its lock around every use. Empty inner maps are deleted, and
// the Memory drops a hubState once empty reports true.
type hubState struct {
	conns   map[string]*connState             // connection id → connection
	users   map[string]map[string]*connState  // user → connection id → connection
	groups  map[string]map[string]*connState  // group → connection id → connection
	members map[string]map[string]*membership // user → group → user-level membership
}

// connState is one registered connection.
type connState struct {
	id, user string
	addr     string              // Conn.Addr: the node holding it (see Memory.Locate)
	groups   map[string]struct{} // nil when in no group
	detached bool                // Handover.Detach: TakeOver may move it
	meta     string              // Handover.Detach's meta
}

func newHubState() *hubState {
	return &hubState{
		conns:   make(map[string]*connState),
		users:   make(map[string]map[string]*connState),
		groups:  make(map[string]map[string]*connState),
		members: make(map[string]map[string]*membership),
	}
}

// empty reports whether the hub holds nothing at all.
func (h *hubState) empty() bool {
	return len(h.conns) == 0 && len(h.users) == 0 && len(h.groups) == 0 && len(h.members) == 0
}

// addConn records c, which must not be registered yet.
func (h *hubState) addConn(c *connState) {
	h.conns[c.id] = c
	if c.user == "" {
		return
	}
	cs := h.users[c.user]
	if cs == nil {
		cs = make(map[string]*connState)
		h.users[c.user] = cs
	}
	cs[c.id] = c
}

// removeConn forgets c and takes it out of every group.
func (h *hubState) removeConn(c *connState) {
	h.leaveAll(c)
	delete(h.conns, c.id)
	if c.user == "" {
		return
	}
	cs := h.users[c.user]
	delete(cs, c.id)
	if len(cs) == 0 {
		delete(h.users, c.user)
	}
}

// join adds c to group.
func (h *hubState) join(c *connState, group string) {
	cs := h.groups[group]
	if cs == nil {
		cs = make(map[string]*connState)
		h.groups[group] = cs
	}
	cs[c.id] = c
	if c.groups == nil {
		c.groups = make(map[string]struct{})
	}
	c.groups[group] = struct{}{}
}

// leave takes c out of group; a group left empty disappears.
func (h *hubState) leave(c *connState, group string) {
	if _, ok := c.groups[group]; !ok {
		return
	}
	delete(c.groups, group)
	if len(c.groups) == 0 {
		c.groups = nil
	}
	cs := h.groups[group]
	delete(cs, c.id)
	if len(cs) == 0 {
		delete(h.groups, group)
	}
}

// leaveAll takes c out of every group.
func (h *hubState) leaveAll(c *connState) {
	for g := range c.groups {
		h.leave(c, g)
	}
}

// userJoin adds every connection of user to group.
func (h *hubState) userJoin(user, group string) {
	for _, c := range h.users[user] {
		h.join(c, group)
	}
}

// userLeave takes every connection of user out of group.
func (h *hubState) userLeave(user, group string) {
	for _, c := range h.users[user] {
		h.leave(c, group)
	}
}

// userLeaveAll takes every connection of user out of every group.
func (h *hubState) userLeaveAll(user string) {
	for _, c := range h.users[user] {
		h.leaveAll(c)
	}
}

// userInGroup reports whether a connection of user is in group.
func (h *hubState) userInGroup(user, group string) bool {
	for _, c := range h.users[user] {
		if _, ok := c.groups[group]; ok {
			return true
		}
	}
	return false
}

// putMembership records ms, which must not be recorded yet.
func (h *hubState) putMembership(ms *membership) {
	gs := h.members[ms.user]
	if gs == nil {
		gs = make(map[string]*membership)
		h.members[ms.user] = gs
	}
	gs[ms.group] = ms
}

// dropMembership forgets ms.
func (h *hubState) dropMembership(ms *membership) {
	gs := h.members[ms.user]
	delete(gs, ms.group)
	if len(gs) == 0 {
		delete(h.members, ms.user)
	}
}

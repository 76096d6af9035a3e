package httpapi

// addUser adds a user (current and, unless ttl=0, future connections) to a
// group. No ttl means no expiry.
func (s *rest) addUser(c *call) (any, error) {
	d, err := ttl(c.r)
	if err != nil {
		return nil, err
	}
	err = s.bus.AddUserToGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("user"), d)
	return nil, s.groupLimit(err, LimitUserGroups, codeUserGroupLimit,
		"The user is in as many groups as allowed; remove it from a group first.")
}

func (s *rest) removeUser(c *call) (any, error) {
	return nil, s.bus.RemoveUserFromGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("user"))
}

func (s *rest) removeUserFromAll(c *call) (any, error) {
	return nil, s.bus.RemoveUserFromAllGroups(c.ctx(), c.hub, c.r.PathValue("user"))
}

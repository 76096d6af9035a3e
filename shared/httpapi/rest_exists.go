package httpapi

// Existence checks answer 200, or 404 with the x-ms-error-code the
// Management SDK compares against (a bare 404 makes it throw).

func (s *rest) connectionExists(c *call) (any, error) {
	ok, err := s.bus.ConnectionExists(c.ctx(), c.hub, c.r.PathValue("connectionId"))
	return exists(ok, err, codeConnNotExisted, "Connection does not exist.")
}

func (s *rest) userExists(c *call) (any, error) {
	ok, err := s.bus.UserExists(c.ctx(), c.hub, c.r.PathValue("user"))
	return exists(ok, err, codeUserNotExisted, "User has no connection.")
}

func (s *rest) groupExists(c *call) (any, error) {
	ok, err := s.bus.GroupExists(c.ctx(), c.hub, c.r.PathValue("group"))
	return exists(ok, err, codeGroupNotExisted, "Group has no connection.")
}

func (s *rest) userInGroup(c *call) (any, error) {
	ok, err := s.bus.UserInGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("user"))
	return exists(ok, err, codeUserNotInGroup, "User is not in the group.")
}

func exists(ok bool, err error, code, msg string) (any, error) {
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, notFound(code, msg)
	}
	return nil, nil
}

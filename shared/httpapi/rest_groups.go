package httpapi

import (
	"errors"

	"github.com/heraldrt/herald/shared/bus"
)

// addConnection adds a connection to a group. An unknown connection gets
// 404 with x-ms-error-code Error.Connection.NotExisted (which the
// Management SDK treats as success when adding).
func (s *rest) addConnection(c *call) (any, error) {
	return nil, s.bus.AddToGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("connectionId"))
}

// removeConnection removes a connection from a group; an unknown connection
// gets 404 Error.Connection.NotExisted.
func (s *rest) removeConnection(c *call) (any, error) {
	return nil, s.bus.RemoveFromGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("connectionId"))
}

// removeConnectionFromAll removes a connection from every group. An unknown
// connection is in no group, so it succeeds too: apps commonly call this
// from a disconnect handler, after the connection is gone.
func (s *rest) removeConnectionFromAll(c *call) (any, error) {
	err := s.bus.RemoveFromAllGroups(c.ctx(), c.hub, c.r.PathValue("connectionId"))
	if errors.Is(err, bus.ErrConnectionNotFound) {
		err = nil
	}
	return nil, err
}

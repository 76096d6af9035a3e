package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
)

// addConnection adds a connection to a group. An unknown connection gets
// 404 with x-ms-error-code Error.Connection.NotExisted (which the
// Management SDK treats as success when adding).
func (s *rest) addConnection(c *call) (any, error) {
	err := s.bus.AddToGroup(c.ctx(), c.hub, c.r.PathValue("group"), c.r.PathValue("connectionId"))
	return nil, s.groupLimit(err, LimitConnectionGroups, codeConnGroupLimit,
		"The connection is in as many groups as allowed; remove it from a group first.")
}

// Limit labels of the group limits, counted through LimitMetrics.
const (
	// LimitConnectionGroups is the bus's GroupLimits.PerConnection.
	LimitConnectionGroups = "groups_per_connection"
	// LimitUserGroups is the bus's GroupLimits.PerUser.
	LimitUserGroups = "groups_per_user"
)

// LimitMetrics is implemented by a RESTMetrics that counts refusals by
// limit (shared/metrics does).
type LimitMetrics interface {
	// LimitReached counts one request refused by limit.
	LimitReached(limit string)
}

// groupLimit turns a bus refusal over a group limit into a 409 with code
// and msg (plus the bus's detail), and counts it; other errors pass.
func (s *rest) groupLimit(err error, limit, code, msg string) error {
	if !errors.Is(err, bus.ErrLimitReached) {
		return err
	}
	if lm, ok := s.metrics.(LimitMetrics); ok {
		lm.LimitReached(limit)
	}
	if _, detail, ok := strings.Cut(err.Error(), bus.ErrLimitReached.Error()+": "); ok {
		msg = strings.TrimSuffix(msg, ".") + " (" + detail + ")."
	}
	return &apiError{status: http.StatusConflict, code: code, msg: msg, cause: err}
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

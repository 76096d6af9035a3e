package httpapi

import "github.com/heraldrt/herald/shared/bus"

// closeConns publishes a close command. Closing a connection that does not
// exist is not an error (the emulator answers success too).
func (s *rest) closeConns(c *call, scope bus.Scope, id string, exclude []string) (any, error) {
	return nil, s.publish(c, &bus.Envelope{
		Kind:     bus.KindClose,
		Scope:    scope,
		ID:       id,
		Excluded: exclude,
		Reason:   c.r.URL.Query().Get("reason"),
	})
}

func (s *rest) closeConnection(c *call) (any, error) {
	return s.closeConns(c, bus.ScopeConnection, c.r.PathValue("connectionId"), nil)
}

func (s *rest) closeAll(c *call) (any, error) {
	return s.closeConns(c, bus.ScopeAll, "", excluded(c.r))
}

func (s *rest) closeGroup(c *call) (any, error) {
	return s.closeConns(c, bus.ScopeGroup, c.r.PathValue("group"), excluded(c.r))
}

func (s *rest) closeUser(c *call) (any, error) {
	return s.closeConns(c, bus.ScopeUser, c.r.PathValue("user"), excluded(c.r))
}

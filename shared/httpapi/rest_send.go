package httpapi

import "github.com/heraldrt/herald/shared/bus"

// send reads the message body and publishes it to the chosen connections.
// Azure answers 202 even when nobody receives the message (no such user,
// group or connection); so does Herald.
func (s *rest) send(c *call, scope bus.Scope, id string, exclude []string) (any, error) {
	msg, err := readMessage(c.w, c.r, s.maxBody)
	if err != nil {
		return nil, err
	}
	return nil, s.publish(c, &bus.Envelope{Kind: bus.KindSend, Scope: scope, ID: id, Excluded: exclude, Message: msg})
}

func (s *rest) sendAll(c *call) (any, error) {
	return s.send(c, bus.ScopeAll, "", excluded(c.r))
}

func (s *rest) sendGroup(c *call) (any, error) {
	return s.send(c, bus.ScopeGroup, c.r.PathValue("group"), excluded(c.r))
}

func (s *rest) sendUser(c *call) (any, error) {
	return s.send(c, bus.ScopeUser, c.r.PathValue("user"), nil)
}

func (s *rest) sendConnection(c *call) (any, error) {
	return s.send(c, bus.ScopeConnection, c.r.PathValue("connectionId"), nil)
}

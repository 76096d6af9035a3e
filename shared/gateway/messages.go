package gateway

import "github.com/heraldrt/herald/shared/hubproto"

// clientMessage handles the client messages of the stream and client
// result families: StreamInvocation (streams.go), Completion
// (completions.go), CancelInvocation, and the StreamItem of a
// client-to-server stream.
func (s *Server) clientMessage(c *conn, m *hubproto.Message) {
	switch m.Type {
	case hubproto.TypeStreamInvocation:
		s.clientStream(c, m)
	case hubproto.TypeCompletion:
		// A client result, or the end of a client-to-server stream, whose
		// invocation was refused (ErrTextClientStreams) or not blocking.
		s.clientCompletion(c, m)
	case hubproto.TypeCancelInvocation:
		if s.streams.remove(c, m.InvocationID) {
			s.log.Debug("client cancelled a stream", "hubName", c.hub, "connectionId", c.id, "stream", m.InvocationID)
		}
	case hubproto.TypeStreamItem:
		// An item of a client-to-server stream: its invocation was refused
		// with ErrTextClientStreams, or had no id to answer (see
		// clientInvocation), and the client was told; nothing is forwarded.
		s.log.Debug("ignoring a client stream item: client-to-server streams are refused", "hubName", c.hub, "connectionId", c.id, "stream", m.InvocationID)
	}
}

// connEnded releases what a connection leaves behind: its pending client
// results fail, its open streams close.
func (s *Server) connEnded(c *conn) {
	s.invokes.connEnded(c)
	s.streams.connEnded(c)
}

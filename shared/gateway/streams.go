package gateway

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Server-to-client streams: a client's StreamInvocation goes to the
// upstream like an invocation, and the application answers through the
// REST routes streams/{streamId}/:send and :complete, which reach this node
// (internal.go). The facts and the choices are in docs/compat/streams.md.

// DefaultMaxConnectionStreams is Config.MaxConnectionStreams when not set.
const DefaultMaxConnectionStreams = 16

// Completion errors of streams the gateway answers itself.
const (
	// ErrTextClientStreams refuses an invocation carrying client-to-server
	// streams (streamIds): their items are not forwarded upstream.
	ErrTextClientStreams = "Client-to-server streaming is not supported in serverless mode: the invocation was not delivered."
	// ErrTextTooManyStreams refuses a StreamInvocation over
	// Config.MaxConnectionStreams.
	ErrTextTooManyStreams = "Too many streams are open on this connection."
	// ErrTextStreamInUse refuses a StreamInvocation reusing the id of an
	// open stream.
	ErrTextStreamInUse = "A stream with this invocation id is already open."
)

// ErrStreamNotFound: no open stream has that id on that connection (never
// opened, completed, cancelled by the client, or the connection ended).
var ErrStreamNotFound = errors.New("gateway: no such stream")

// streams holds the open server-to-client streams of this node's
// connections, bounded per connection.
type streams struct {
	mu   sync.Mutex
	open map[*conn]map[string]struct{} // stream ids by connection
}

// add opens stream id of c; it returns the error text to answer the client
// with when it cannot.
func (st *streams) add(c *conn, id string, limit int) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.open == nil {
		st.open = map[*conn]map[string]struct{}{}
	}
	mine := st.open[c]
	if _, ok := mine[id]; ok {
		return ErrTextStreamInUse
	}
	if len(mine) >= limit {
		return ErrTextTooManyStreams
	}
	if mine == nil {
		mine = map[string]struct{}{}
		st.open[c] = mine
	}
	mine[id] = struct{}{}
	return ""
}

// has reports whether stream id of c is open.
func (st *streams) has(c *conn, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.open[c][id]
	return ok
}

// remove closes stream id of c and reports whether it was open.
func (st *streams) remove(c *conn, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	mine := st.open[c]
	if _, ok := mine[id]; !ok {
		return false
	}
	if delete(mine, id); len(mine) == 0 {
		delete(st.open, c)
	}
	return true
}

// connEnded closes every stream of c.
func (st *streams) connEnded(c *conn) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.open, c)
}

// count reports the open streams (tests).
func (st *streams) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, mine := range st.open {
		n += len(mine)
	}
	return n
}

// clientStream handles a client's StreamInvocation: it opens the stream
// and hands the invocation to the upstream, or answers an error Completion.
func (s *Server) clientStream(c *conn, m *hubproto.Message) {
	switch {
	case c.session == nil:
		c.enqueue(completionErrorFrame(c.proto, m.InvocationID, ErrTextNoUpstream))
		return
	case len(m.StreamIDs) > 0:
		s.log.Info("refusing a stream invocation with client-to-server streams", "hubName", c.hub, "connectionId", c.id, "target", m.Target)
		c.enqueue(completionErrorFrame(c.proto, m.InvocationID, ErrTextClientStreams))
		return
	}
	if errText := s.streams.add(c, m.InvocationID, s.cfg.MaxConnectionStreams); errText != "" {
		s.log.Info("refusing a stream invocation", "hubName", c.hub, "connectionId", c.id, "stream", m.InvocationID, "reason", errText)
		c.enqueue(completionErrorFrame(c.proto, m.InvocationID, errText))
		return
	}
	id := m.InvocationID
	_ = c.session.Invoke(*m, func(record []byte) {
		// The upstream call failed: the record is an error Completion.
		if s.streams.remove(c, id) {
			c.reply(record)
		}
	})
}

// SendStreamItem queues item (JSON) to the open stream streamID of
// connection hub/id and, when completed, ends the stream after it. It
// returns ErrStreamNotFound when no such stream is open on this node.
func (s *Server) SendStreamItem(hub, id, streamID string, item json.RawMessage, completed bool) error {
	c := s.idx.get(hub, id)
	if c == nil || !s.streams.has(c, streamID) {
		return ErrStreamNotFound
	}
	frame, err := streamItemFrame(c.proto, streamID, item)
	if err != nil {
		return err
	}
	if completed && !s.streams.remove(c, streamID) {
		return ErrStreamNotFound
	}
	if !c.enqueue(frame) {
		s.streams.remove(c, streamID)
		return ErrStreamNotFound
	}
	if completed && !c.enqueue(completionErrorFrame(c.proto, streamID, "")) {
		return ErrStreamNotFound
	}
	return nil
}

// CompleteStream ends the open stream streamID of connection hub/id, with
// errText as its error ("" completes it normally). It returns
// ErrStreamNotFound when no such stream is open on this node.
func (s *Server) CompleteStream(hub, id, streamID, errText string) error {
	c := s.idx.get(hub, id)
	if c == nil || !s.streams.remove(c, streamID) {
		return ErrStreamNotFound
	}
	if !c.enqueue(completionErrorFrame(c.proto, streamID, errText)) {
		return ErrStreamNotFound
	}
	return nil
}

// streamItemFrame encodes a StreamItem; item is JSON and converted for
// MessagePack.
func streamItemFrame(p proto, streamID string, item json.RawMessage) ([]byte, error) {
	if len(item) == 0 {
		item = json.RawMessage("null")
	}
	m := hubproto.Message{Type: hubproto.TypeStreamItem, InvocationID: streamID, Item: item}
	if p == protoMsgpack {
		mp, err := hubproto.JSONToMsgpack(nil, item)
		if err != nil {
			return nil, err
		}
		m.Item = mp
	}
	rec, err := p.codec().Append(nil, &m)
	if err != nil {
		return nil, err
	}
	return p.frame(rec), nil
}

// clientUpload refuses an Invocation carrying client-to-server streams: a
// blocking one is answered with an error Completion; a non-blocking one
// (send) has no invocation to answer, so the connection is closed with
// the reason, the only way the client can learn that its items go nowhere.
func (s *Server) clientUpload(c *conn, m *hubproto.Message) {
	s.log.Info("refusing an invocation with client-to-server streams", "hubName", c.hub, "connectionId", c.id, "target", m.Target, "blocking", m.InvocationID != "")
	if m.InvocationID != "" {
		c.enqueue(completionErrorFrame(c.proto, m.InvocationID, ErrTextClientStreams))
		return
	}
	c.closeWithMessage(ErrTextClientStreams, false)
}

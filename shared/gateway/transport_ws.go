package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/hubproto"
)

// transportWebSockets names the transport in logs and metrics.
const transportWebSockets = "WebSockets"

// readBufferSize is the per-connection read buffer: small, because idle
// connections dominate memory; larger messages are read straight into their
// own buffer.
const readBufferSize = 512

var (
	errClientClosed = errors.New("client closed the connection")
	// errConnectionLost ends a Server-Sent Events or Long Polling
	// connection whose stream or poll the client's side cut off without a
	// close (transport_sse.go, transport_http.go).
	errConnectionLost = errors.New("connection lost")
	errTooLarge       = errors.New("message too large")
	errProtocol       = errors.New("websocket protocol error")
)

// serveWebSocket upgrades r for an admitted connection and hands it to a
// goroutine of its own (the reader; the writer gets another), then
// returns: net/http then lets go of its request, buffers and grown handler
// stack, which would otherwise stay alive as long as the connection (about
// 15 KiB each).
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, req connRequest) {
	nc, src, ok := s.upgrade(w, r, req)
	if !ok {
		s.refund(&req)
		return
	}
	go s.serveConn(nc, src, req)
}

// upgrade upgrades r to a WebSocket and returns the socket and the reader
// of the client's frames; false when the upgrade failed (answered).
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, req connRequest) (net.Conn, io.Reader, bool) {
	nc, rw, _, err := ws.HTTPUpgrader{Timeout: s.cfg.WriteTimeout}.Upgrade(r, w)
	if err != nil {
		if nc != nil {
			_ = nc.Close()
		}
		s.log.Debug("websocket upgrade failed", "hubName", req.hub, "connectionId", req.id, "err", err)
		return nil, nil, false
	}
	// Keep only what the HTTP server already read; drop its 4 KiB buffers.
	var src io.Reader = nc
	if n := rw.Reader.Buffered(); n > 0 {
		pre, _ := rw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(pre)), nc)
	}
	return nc, src, true
}

// cutOnShutdown arms the cut of nc at the shutdown deadline, whatever the
// connection's state (in the handshake or ending it is not in the index),
// and returns the closing of the socket, which disarms the cut (or waits
// for it): call it before the connection leaves Shutdown's count.
func (s *Server) cutOnShutdown(nc net.Conn) func() {
	cut := make(chan struct{})
	stopCut := context.AfterFunc(s.cutCtx, func() { _ = nc.Close(); close(cut) })
	return func() {
		if !stopCut() {
			<-cut
		}
		_ = nc.Close()
	}
}

// serveConn runs an upgraded, admitted connection (lifecycle.go):
// handshake, registration, then the read loop on this goroutine and the
// write loop on its own. It returns after both have ended and the
// connection is gone from the index and the bus, and out of Shutdown's
// count. src reads the client's frames.
func (s *Server) serveConn(nc net.Conn, src io.Reader, req connRequest) {
	closeSocket := s.cutOnShutdown(nc)
	c := newConn(s, nc, req.hub, req.id, req.user)
	c.addr = req.addr
	c.diag = req.diag
	if req.stateful {
		c.sr = newResumeState() // kept if the handshake asks for version 2
	}
	rd := &frameReader{br: bufio.NewReaderSize(src, readBufferSize), max: s.cfg.MaxMessageBytes, c: c}

	in := &inbox{}
	if !s.handshake(c, rd, in, handshakeTimeout(req.claims, s.cfg.HandshakeTimeout)) {
		closeSocket()
		s.refund(&req)
		return
	}
	// The handshake response is queued; nothing is written until the
	// connection is indexed and registered, so a client whose start()
	// resolved can be reached at once by sends, group changes and
	// existence checks.
	e := ending{transport: transportWebSockets, closeTransport: closeSocket}
	if rerr := s.register(c); rerr != nil {
		why := registerRefusal(rerr)
		c.closeWithMessage(why, why == ReasonInternal)
		c.resume()
		e.err = rerr
	} else {
		e.registered = true
		s.start(c, &req, transportWebSockets)
		e.err = s.readLoop(c, rd, in)
		// The client is gone: abort a blocked write, and cap a writer that
		// starts after this at abortGrace.
		e.peerGone = errors.Is(e.err, os.ErrDeadlineExceeded) || isNetClosed(e.err) || errors.Is(e.err, io.EOF)
		if s.detach(c, e) {
			return // kept for a reconnect (resume_ws.go)
		}
	}
	s.end(c, e)
}

// handshake reads the client's handshake within timeout into in and queues
// the response; in is left with the bytes after the handshake record.
func (s *Server) handshake(c *conn, rd *frameReader, in *inbox, timeout time.Duration) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		msg, err := rd.next()
		if err != nil {
			s.log.Debug("handshake read failed", "hubName", c.hub, "connectionId", c.id, "err", err)
			return false
		}
		if msg == nil {
			continue // control frame handled
		}
		in.add(msg)
		if !in.hasSeparator() {
			if len(in.buf) > s.cfg.MaxMessageBytes {
				s.log.Debug("handshake too large", "hubName", c.hub, "connectionId", c.id, "bytes", len(in.buf))
				return false
			}
			continue
		}
		req, rest, err := hubproto.ParseHandshake(in.buf)
		errText := "Handshake request is invalid."
		if err == nil {
			var codec hubproto.Codec
			if codec, errText = hubproto.SelectCodec(req); codec != nil {
				c.proto = protoOf(codec)
			}
			if req.Version < 2 {
				c.sr = nil // protocol version 1 has no Ack and Sequence
			}
		}
		// The handshake response is JSON text whatever the protocol.
		resp := finishFrame(hubproto.AppendHandshakeResponse(frameBuf(64), errText), opText)
		if errText != "" {
			s.log.Debug("handshake rejected", "hubName", c.hub, "connectionId", c.id, "err", errText)
			_ = c.write([][]byte{resp, normalCloseFrame}, time.Now(), time.Second)
			return false
		}
		c.enqueueControl(resp)
		in.keep(rest)
		return true
	}
}

// readLoop reads client messages until the connection ends. in holds what
// arrived after the handshake. Records are decoded once one is complete (see
// inbox), so the work per frame is linear in the frame, whatever its size.
func (s *Server) readLoop(c *conn, rd *frameReader, in *inbox) error {
	for {
		ready, err := in.ready(c.proto, s.cfg.MaxMessageBytes)
		if err == nil && ready {
			var rest []byte
			if rest, err = s.handleMessages(c, in.buf); err == nil {
				in.keep(rest)
			}
		}
		if err != nil {
			return s.failRead(c, err)
		}
		c.extendRead(time.Now().Add(s.cfg.ClientTimeout))
		msg, err := rd.next()
		if err != nil {
			return s.failRead(c, err)
		}
		if msg != nil {
			in.add(msg)
		}
	}
}

// failRead closes the connection the way err calls for and returns err.
func (s *Server) failRead(c *conn, err error) error {
	switch {
	case c.isClosing(), errors.Is(err, errClientClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.closeWithMessage(ReasonPingTimeout, false)
	case errors.Is(err, errTooLarge):
		s.log.Info("closing connection after a message over the size limit", "hubName", c.hub, "connectionId", c.id, "limit", s.cfg.MaxMessageBytes)
		c.close(ReasonMessageTooLarge, closeMessageFrame(c.proto, ReasonMessageTooLarge, false), closeFrame(1009))
	case errors.Is(err, errProtocol), errors.Is(err, hubproto.ErrInvalidMessage):
		s.log.Info("closing connection after invalid message", "hubName", c.hub, "connectionId", c.id, "err", err)
		c.close(ReasonProtocolError, closeMessageFrame(c.proto, ReasonProtocolError, false), closeFrame(1002))
	}
	return err
}

// handleMessages handles every complete hub message in data and returns an
// incomplete trailing record, if any.
func (s *Server) handleMessages(c *conn, data []byte) ([]byte, error) {
	msgs, rest, err := c.proto.codec().Decode(data)
	invocations := 0
	defer func() {
		if invocations > 0 {
			s.cfg.Metrics.Received(invocations)
		}
	}()
	for i := range msgs {
		m := &msgs[i]
		if c.sr != nil {
			switch m.Type {
			case hubproto.TypeAck:
				c.clientAck(m.SequenceID)
				continue
			case hubproto.TypeSequence:
				if !c.clientSequence(m.SequenceID) {
					s.log.Info("closing stateful connection: Sequence beyond the messages received", "hubName", c.hub, "connectionId", c.id, "sequence_id", m.SequenceID)
					c.close(ReasonSequenceAhead, closeMessageFrame(c.proto, ReasonSequenceAhead, false), closeFrame(1002))
					return nil, errSequenceAhead
				}
				continue
			case hubproto.TypeInvocation, hubproto.TypeStreamItem, hubproto.TypeCompletion,
				hubproto.TypeStreamInvocation, hubproto.TypeCancelInvocation:
				if !c.acceptCounted(len(m.Raw)) {
					continue // a duplicate, or before the client's Sequence
				}
			}
		}
		switch m.Type {
		case hubproto.TypeInvocation:
			invocations++
			switch {
			case len(m.StreamIDs) > 0:
				s.clientUpload(c, m) // streams.go
			case c.session != nil:
				_ = c.session.Invoke(*m, c.reply) // answered through reply
			case m.InvocationID != "":
				c.enqueue(completionErrorFrame(c.proto, m.InvocationID, ErrTextNoUpstream))
			}
		case hubproto.TypeStreamInvocation, hubproto.TypeStreamItem, hubproto.TypeCompletion, hubproto.TypeCancelInvocation:
			s.clientMessage(c, m) // messages.go
		case hubproto.TypeClose:
			c.close(reasonClientClose, normalCloseFrame)
			return nil, errClientClosed
		}
	}
	if err != nil {
		return nil, err
	}
	if len(rest) > s.cfg.MaxMessageBytes {
		return nil, errTooLarge
	}
	if c.proto == protoMsgpack && len(rest) > 0 {
		// Refuse an oversized record before buffering the rest of it.
		if n, err := hubproto.MsgpackRecordSize(rest); err == nil && n > s.cfg.MaxMessageBytes {
			return nil, errTooLarge
		}
	}
	return rest, nil
}

func isNetClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

// disconnectError is the Error of the upstream's disconnected event, by
// the same rule as the logs and metrics (CloseLabel): none when the client
// closed the connection, else why it ended.
func disconnectError(c *conn, err error) string {
	switch CloseLabel(c.reason(), err) {
	case CloseClientClosed:
		return ""
	case CloseConnectionLost:
		return ReasonConnectionLost
	}
	return c.reason()
}

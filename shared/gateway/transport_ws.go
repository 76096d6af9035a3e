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

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// transportWebSockets names the transport in logs and metrics.
const transportWebSockets = "WebSockets"

// readBufferSize is the per-connection read buffer: small, because idle
// connections dominate memory; larger messages are read straight into their
// own buffer.
const readBufferSize = 512

var (
	errClientClosed = errors.New("client closed the connection")
	errTooLarge     = errors.New("message too large")
	errProtocol     = errors.New("websocket protocol error")
)

// serveWebSocket upgrades r and hands the connection to a goroutine of its
// own (the reader; the writer gets another), then returns: net/http then
// lets go of its request, buffers and grown handler stack, which would
// otherwise stay alive as long as the connection (about 15 KiB each).
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, info connInfo) {
	hub, id := info.hub, info.id
	nc, rw, _, err := ws.HTTPUpgrader{Timeout: s.cfg.WriteTimeout}.Upgrade(r, w)
	if err != nil {
		s.idx.unreserve(hub, id)
		s.releaseConnection(hub, info.user)
		s.conns.Done()
		s.endDiagnostic(info.diag)
		if nc != nil {
			_ = nc.Close()
		}
		s.log.Debug("websocket upgrade failed", "hub", hub, "conn", id, "err", err)
		return
	}
	// Keep only what the HTTP server already read; drop its 4 KiB buffers.
	var src io.Reader = nc
	if n := rw.Reader.Buffered(); n > 0 {
		pre, _ := rw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(pre)), nc)
	}
	go func() {
		defer s.conns.Done()
		defer s.endDiagnostic(info.diag)
		s.serveConn(nc, src, info)
	}()
}

// serveConn runs an upgraded connection whose id is reserved: handshake,
// registration, then the read loop on this goroutine and the write loop on
// its own. It returns after both have ended and the connection is gone from
// the index and the bus. src reads the client's frames.
func (s *Server) serveConn(nc net.Conn, src io.Reader, info connInfo) {
	hub, id, user := info.hub, info.id, info.user
	// At the shutdown deadline the socket is cut whatever the state: in the
	// handshake or ending, the connection is not in the index.
	cut := make(chan struct{})
	stopCut := context.AfterFunc(s.cutCtx, func() { _ = nc.Close(); close(cut) })
	defer func() {
		if !stopCut() {
			<-cut
		}
	}()
	c := newConn(s, nc, hub, id, user)
	c.diag = info.diag
	rd := &frameReader{br: bufio.NewReaderSize(src, readBufferSize), max: s.cfg.MaxMessageBytes, c: c}

	in := &inbox{}
	if !s.handshake(c, rd, in, handshakeTimeout(info.claims, s.cfg.HandshakeTimeout)) {
		s.idx.unreserve(hub, id)
		_ = nc.Close()
		s.releaseConnection(hub, user)
		return
	}
	// The handshake response is queued; nothing is written until the
	// connection is indexed and registered, so a client whose start()
	// resolved can be reached at once by sends, group changes and
	// existence checks.
	s.idx.add(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	_, err := s.cfg.Bus.Register(ctx, bus.Conn{Hub: hub, ID: id, User: user, Addr: s.cfg.InternalURL})
	cancel()
	var why string
	if err != nil {
		why = ReasonInternal
		if errors.Is(err, bus.ErrConnectionExists) {
			why = ReasonDuplicate
		}
		s.log.Warn("register connection", "hub", hub, "conn", id, "user", user, "err", err)
		c.closeWithMessage(why, why == ReasonInternal)
		c.resume()
	} else {
		if s.cfg.Upstream != nil {
			c.session = s.cfg.Upstream.Session(upstream.ConnInfo{
				Hub: hub, ConnectionID: id, UserID: user, Claims: info.claims,
				Query: info.query, Codec: c.proto.codec(),
			})
			_ = c.session.Connected() // queued; failures are the upstream's to log
		}
		c.resume()
		if exp := authExpiry(info.claims); !exp.IsZero() {
			c.expires = exp.UnixNano()
		}
		s.keeper.add(c)
		if s.draining.Load() {
			// Shutdown began while this connection was being set up and
			// may not have seen it in the index.
			c.close(ReasonServiceReloading, closeMessageFrame(c.proto, ReasonServiceReloading, true), normalCloseFrame)
		}
		c.metrics = s.cfg.Metrics.ConnectionOpened(hub, transportWebSockets, c.proto.String(), c.diag)
		s.traceStarted(c, transportWebSockets)
		s.log.Debug("connection started", "hub", hub, "conn", id, "user", user, "transport", "WebSockets", "protocol", c.proto.String())
		err = s.readLoop(c, rd, in)
	}
	s.idx.remove(c)
	s.connEnded(c)
	if errors.Is(err, os.ErrDeadlineExceeded) || isNetClosed(err) || errors.Is(err, io.EOF) {
		// The client is gone: abort a blocked write, and cap a writer that
		// starts after this (it would set a fresh deadline) at abortGrace.
		c.abort.Store(true)
		_ = nc.SetWriteDeadline(time.Now())
	}
	c.stopWriter()
	s.keeper.remove(c) // after closing is set: check does not put it back
	_ = nc.Close()
	if why == "" {
		ctx, cancel = context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
		if uerr := s.cfg.Bus.Unregister(ctx, hub, id); uerr != nil {
			s.log.Warn("unregister connection", "hub", hub, "conn", id, "err", uerr)
		}
		cancel()
	}
	s.releaseConnection(hub, user)
	if c.session != nil {
		_ = c.session.Disconnected(disconnectError(c, err))
	}
	if c.metrics != nil {
		label := CloseLabel(c.reason(), err)
		c.metrics.Closed(label)
		s.traceEnded(c, transportWebSockets, label)
	}
	s.log.Debug("connection ended", "hub", hub, "conn", id, "user", user, "reason", c.reason(), "err", err)
}

// handshake reads the client's handshake within timeout into in and queues
// the response; in is left with the bytes after the handshake record.
func (s *Server) handshake(c *conn, rd *frameReader, in *inbox, timeout time.Duration) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		msg, err := rd.next()
		if err != nil {
			s.log.Debug("handshake read failed", "hub", c.hub, "conn", c.id, "err", err)
			return false
		}
		if msg == nil {
			continue // control frame handled
		}
		in.add(msg)
		if !in.hasSeparator() {
			if len(in.buf) > s.cfg.MaxMessageBytes {
				s.log.Debug("handshake too large", "hub", c.hub, "conn", c.id, "bytes", len(in.buf))
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
		}
		// The handshake response is JSON text whatever the protocol.
		resp := finishFrame(hubproto.AppendHandshakeResponse(frameBuf(64), errText), opText)
		if errText != "" {
			s.log.Debug("handshake rejected", "hub", c.hub, "conn", c.id, "err", errText)
			_ = c.write([][]byte{resp, normalCloseFrame}, time.Now(), time.Second)
			return false
		}
		c.enqueue(resp)
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
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	switch {
	case closing, errors.Is(err, errClientClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.closeWithMessage(ReasonPingTimeout, false)
	case errors.Is(err, errTooLarge):
		s.log.Info("closing connection after a message over the size limit", "hub", c.hub, "conn", c.id, "limit", s.cfg.MaxMessageBytes)
		c.close(ReasonMessageTooLarge, closeMessageFrame(c.proto, ReasonMessageTooLarge, false), closeFrame(1009))
	case errors.Is(err, errProtocol), errors.Is(err, hubproto.ErrInvalidMessage):
		s.log.Info("closing connection after invalid message", "hub", c.hub, "conn", c.id, "err", err)
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

// disconnectError is the Error of the upstream's disconnected event: none
// when the client closed the connection, else why it ended.
func disconnectError(c *conn, err error) string {
	if errors.Is(err, errClientClosed) {
		return ""
	}
	if r := c.reason(); r != "" {
		return r
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "Connection closed with an error."
	}
	return ""
}

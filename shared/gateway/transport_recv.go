package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// receive serves POST: the body holds client messages (first the
// handshake). It answers 200 once they are handled.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, c *conn) {
	h := c.hs
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.cfg.MaxMessageBytes)))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.close(ReasonMessageTooLarge, closeMessageFrame(c.proto, ReasonMessageTooLarge, false))
			httpError(w, http.StatusRequestEntityTooLarge, ReasonMessageTooLarge)
			return
		}
		httpError(w, http.StatusBadRequest, "Could not read the request body.")
		return
	}
	h.lastIn.Store(time.Now().UnixNano())
	h.inMu.Lock()
	defer h.inMu.Unlock()
	select {
	case <-h.endCh:
		httpError(w, http.StatusNotFound, TextNoConnection)
		return
	default:
	}
	data := body
	if len(h.pending) > 0 {
		data = append(h.pending, body...)
	}
	h.pending = nil
	if !h.handshaken {
		rest, done, err := s.httpHandshake(c, data)
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		if !done {
			h.pending = rest
			w.WriteHeader(http.StatusOK)
			return
		}
		data = rest
	}
	if len(data) > 0 && !c.isClosing() {
		rest, err := s.handleMessages(c, data)
		if err != nil {
			_ = s.failRead(c, err)
		} else {
			h.pending = bytes.Clone(rest)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// httpHandshake parses the handshake from data. Once complete it queues
// the response ahead of everything else and opens the connection to
// messages; a rejected handshake closes it after the response.
func (s *Server) httpHandshake(c *conn, data []byte) (rest []byte, done bool, err error) {
	h := c.hs
	req, rest, err := hubproto.ParseHandshake(data)
	if errors.Is(err, hubproto.ErrIncomplete) {
		if len(data) > s.cfg.MaxMessageBytes {
			h.end()
			return nil, false, errors.New("Handshake request is too large.")
		}
		return bytes.Clone(data), false, nil
	}
	errText := "Handshake request is invalid."
	p := protoJSON
	if err == nil {
		var codec hubproto.Codec
		if codec, errText = hubproto.SelectCodec(req); codec != nil {
			p = protoOf(codec)
			if p != protoJSON && h.kind == httSSE {
				errText = fmt.Sprintf("Cannot use the '%s' protocol with the ServerSentEvents transport: it carries text only.", p)
			}
		}
	}
	h.handshaken = true
	resp := finishFrame(hubproto.AppendHandshakeResponse(frameBuf(64), errText), opText)
	// Under the index lock: a dispatch sees the connection either before
	// the handshake (and skips it) or with its protocol and the response
	// queued first.
	s.idx.mu.Lock()
	c.proto = p
	c.mu.Lock()
	c.queue, c.queued = append(c.queue, resp), c.queued+len(resp)
	h.greeted = true
	h.ready.Store(errText == "")
	c.mu.Unlock()
	s.idx.mu.Unlock()
	if errText != "" {
		s.log.Debug("handshake rejected", "hub", c.hub, "conn", c.id, "err", errText)
		c.close("handshake rejected")
		c.resume()
		return nil, true, nil
	}
	info := h.info
	if s.cfg.Upstream != nil {
		c.session = s.cfg.Upstream.Session(upstream.ConnInfo{
			Hub: c.hub, ConnectionID: c.id, UserID: c.user, Claims: info.claims,
			Query: info.query, Codec: c.proto.codec(),
		})
		_ = c.session.Connected()
	}
	c.resume()
	s.keeper.add(c)
	if s.draining.Load() {
		c.close(ReasonServiceReloading, closeMessageFrame(c.proto, ReasonServiceReloading, true), normalCloseFrame)
	}
	c.metrics = s.cfg.Metrics.ConnectionOpened(c.hub, h.transportName(), c.proto.String(), c.diag)
	s.traceStarted(c, h.transportName())
	s.log.Debug("connection started", "hub", c.hub, "conn", c.id, "user", c.user, "transport", h.transportName(), "protocol", c.proto.String())
	return rest, true, nil
}

package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
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
	in := &h.pending
	in.add(body)
	if !h.handshaken {
		if !in.hasSeparator() {
			if len(in.buf) > s.cfg.MaxMessageBytes {
				s.log.Debug("handshake too large", "hubName", c.hub, "connectionId", c.id, "bytes", len(in.buf))
				in.keep(nil)
				h.end()
				httpError(w, http.StatusBadRequest, "Handshake request is too large.")
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		in.keep(s.httpHandshake(c, in.buf))
	}
	if !c.isClosing() {
		ready, err := in.ready(c.proto, s.cfg.MaxMessageBytes)
		if err == nil && ready {
			var rest []byte
			if rest, err = s.handleMessages(c, in.buf); err == nil {
				in.keep(rest)
			}
		}
		if err != nil {
			in.keep(nil)
			_ = s.failRead(c, err)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// httpHandshake parses the handshake from data, which holds a record
// separator, and returns what follows it. Once complete it queues the
// response ahead of everything else and opens the connection to messages; a
// rejected handshake closes it after the response.
func (s *Server) httpHandshake(c *conn, data []byte) (rest []byte) {
	h := c.hs
	req, rest, err := hubproto.ParseHandshake(data)
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
		s.log.Debug("handshake rejected", "hubName", c.hub, "connectionId", c.id, "err", errText)
		c.close("handshake rejected")
		c.resume()
		return nil
	}
	s.start(c, &h.req, h.transportName())
	return rest
}

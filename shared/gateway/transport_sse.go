package gateway

import (
	"bytes"
	"net/http"
	"time"
)

// closeMessageGrace is how long a Server-Sent Events connection whose
// stream the client's side cut off waits for the client's Close message:
// the official client (8.0 on) posts it as it stops, racing the end of its
// EventSource.
const closeMessageGrace = 2 * time.Second

// serveSSE serves the event stream of a new Server-Sent Events connection:
// headers and the ":\r\n" comment at once (the client's EventSource opens
// on it), then each hub message as an event. The connection ends with the
// stream: after the final frames of a close, or when the client's side cut
// it off (endCutStream).
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *conn) {
	if s.streamSSE(w, r, c) {
		c.hs.end()
		return
	}
	c.hs.streamCut.Store(true)
	endCutStream(c)
}

// endCutStream ends a Server-Sent Events connection whose stream ended
// without a close from the server. A stop of the official client is a Close message
// (a POST) and the EventSource closed, in either order: a Close message
// within closeMessageGrace makes it the client's close (client_closed);
// without one the stream was lost (connection_lost), like a WebSocket
// without a close frame (docs/diagnostics.md, "Why a connection ended").
func endCutStream(c *conn) {
	h := c.hs
	t := time.NewTimer(closeMessageGrace)
	defer t.Stop()
	for !c.isClosing() {
		select {
		case <-h.endCh:
			return
		case <-h.wakeCh: // frames queued, or a close: look again
		case <-t.C:
			h.endWith(errConnectionLost)
			return
		}
	}
	h.end()
}

// streamSSE writes the event stream until the connection's close has
// written its final frames or the connection ended (true), or until the
// stream failed or the client's side closed it (false).
func (s *Server) streamSSE(w http.ResponseWriter, r *http.Request, c *conn) bool {
	h := c.hs
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Content-Encoding", "identity")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	noCache(w)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if _, err := w.Write([]byte(":\r\n")); err != nil || rc.Flush() != nil {
		return false
	}
	var buf []byte
	for {
		select {
		case <-h.wakeCh:
		case <-h.endCh:
			return true
		case <-r.Context().Done():
			return false
		}
		for {
			frames, closing := c.take()
			buf = buf[:0]
			for _, f := range frames {
				buf = appendEvent(buf, framePayload(f))
			}
			if len(buf) > 0 {
				now := time.Now()
				_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
				if _, err := w.Write(buf); err != nil || rc.Flush() != nil {
					return false
				}
				c.lastWrite.Store(now.UnixNano())
			}
			if closing {
				return true
			}
			if len(frames) == 0 {
				break
			}
		}
	}
}

// appendEvent appends payload as one event: a "data: " line per line of
// the payload (a trailing '\r' dropped), then an empty line.
func appendEvent(dst, payload []byte) []byte {
	if len(payload) == 0 {
		return dst
	}
	for len(payload) > 0 {
		line := payload
		if i := bytes.IndexByte(payload, '\n'); i >= 0 {
			line, payload = payload[:i], payload[i+1:]
		} else {
			payload = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		dst = append(dst, "data: "...)
		dst = append(dst, line...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

package gateway

import (
	"bytes"
	"net/http"
	"time"
)

// serveSSE serves the event stream of a new Server-Sent Events connection:
// headers and the ":\r\n" comment at once (the client's EventSource opens
// on it), then each hub message as an event. The connection ends with the
// stream: when the client goes away, or after the final frames of a close.
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *conn) {
	h := c.hs
	defer h.end()
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Content-Encoding", "identity")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	noCache(w)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if _, err := w.Write([]byte(":\r\n")); err != nil || rc.Flush() != nil {
		return
	}
	var buf []byte
	for {
		select {
		case <-h.wakeCh:
		case <-h.endCh:
			return
		case <-r.Context().Done():
			return
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
					return
				}
				c.lastWrite.Store(now.UnixNano())
			}
			if closing {
				return
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

package gateway

import (
	"net/http"
	"time"
)

// servePoll serves one poll of a Long Polling connection. The first poll is
// answered at once, 200 with an empty body. Later ones wait up to
// LongPollTimeout: 200 with every queued message (application/octet-stream),
// 200 with an empty body when none came, 204 when the connection is closed
// or a newer poll superseded this one (the client then stops).
func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, c *conn) {
	h := c.hs
	h.pollMu.Lock()
	first := h.polls == 0
	h.polls++
	if h.poll != nil {
		close(h.poll)
	}
	mine := make(chan struct{})
	h.poll = mine
	h.pollMu.Unlock()
	cut := false // the client's side closed this poll
	defer func() {
		h.pollMu.Lock()
		if h.poll == mine { // the latest poll says whether it was cut off
			h.poll = nil
			h.pollCut.Store(cut)
		}
		h.pollMu.Unlock()
		h.lastIn.Store(time.Now().UnixNano())
	}()
	noCache(w)
	if first {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	hold := time.NewTimer(s.cfg.LongPollTimeout)
	defer hold.Stop()
	for {
		select {
		case <-mine:
			w.WriteHeader(http.StatusNoContent)
			return
		default:
		}
		frames, closing := c.take()
		var body []byte
		for _, f := range frames {
			body = append(body, framePayload(f)...)
		}
		if len(body) > 0 {
			now := time.Now()
			w.Header().Set("Content-Type", "application/octet-stream")
			_ = http.NewResponseController(w).SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
			_, _ = w.Write(body)
			c.lastWrite.Store(now.UnixNano())
			if closing && s.draining.Load() {
				// The final frames went out, and the closed listeners
				// would refuse the poll that would get the 204.
				h.end()
			}
			return
		}
		if closing {
			h.end() // everything went out: the connection is over
			w.WriteHeader(http.StatusNoContent)
			return
		}
		select {
		case <-h.wakeCh:
		case <-mine:
		case <-h.endCh:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-hold.C:
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
			return
		case <-r.Context().Done():
			cut = true
			return
		}
	}
}

// stopPoll serves DELETE, the Long Polling client's stop: 202, and a
// pending poll gets 204.
func (s *Server) stopPoll(w http.ResponseWriter, c *conn) {
	c.hs.endWith(errClientClosed)
	noCache(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte("Long Polling connection stopped."))
}

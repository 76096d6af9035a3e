package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// serveHTTPTransport serves the requests of the Server-Sent Events and
// Long Polling transports (everything on /client/ but WebSocket upgrades):
// a GET with an unused connection token opens a connection (an event
// stream when it accepts text/event-stream, else Long Polling); later
// requests are polls (GET), client messages (POST) and a Long Polling stop
// (DELETE). A request for a connection another node holds is forwarded
// there. expired reports a connection token past its connect window: good
// for an existing connection only.
func (s *Server) serveHTTPTransport(w http.ResponseWriter, r *http.Request, req connRequest, expired bool) {
	c := s.idx.get(req.hub, req.id)
	if c == nil {
		if r.Header.Get(forwardHeader) != "" {
			httpError(w, http.StatusNotFound, TextNoConnection)
			return
		}
		if s.forward(w, r, req.hub, req.id) {
			return
		}
		switch {
		case expired:
			httpError(w, http.StatusNotFound, TextNoConnection+TextConnectTooLate)
			return
		case r.Method != http.MethodGet:
			httpError(w, http.StatusNotFound, TextNoConnection)
			return
		}
		kind := httLongPoll
		if wantsEventStream(r) {
			kind = httSSE
		}
		if !allowed(req.claims.String("asrs.s.htt"), kind) {
			httpError(w, http.StatusBadRequest, TextTransportNotAllowed)
			return
		}
		c, ok := s.openHTTP(w, r, req, kind)
		if !ok {
			return
		}
		if kind == httSSE {
			s.serveSSE(w, r, c)
		} else {
			s.servePoll(w, r, c) // the first poll: 200 at once
		}
		return
	}
	switch {
	case c.hs == nil && r.Method == http.MethodPost:
		httpError(w, http.StatusMethodNotAllowed, "The connection uses the WebSockets transport: send over the WebSocket.")
	case c.hs == nil:
		httpError(w, http.StatusBadRequest, "Cannot change transports mid-connection: the connection uses WebSockets.")
	case r.Method == http.MethodPost:
		s.receive(w, r, c)
	case r.Method == http.MethodDelete && c.hs.kind == httLongPoll:
		s.stopPoll(w, c)
	case r.Method == http.MethodDelete:
		httpError(w, http.StatusBadRequest, "Only Long Polling connections are stopped with DELETE.")
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET, POST, DELETE")
		httpError(w, http.StatusMethodNotAllowed, "Method not allowed.")
	case c.hs.kind == httSSE && wantsEventStream(r):
		httpError(w, http.StatusConflict, "The connection already has an event stream.")
	case c.hs.kind == httSSE || wantsEventStream(r):
		httpError(w, http.StatusBadRequest, "Cannot change transports mid-connection.")
	default:
		s.servePoll(w, r, c)
	}
}

// wantsEventStream reports a Server-Sent Events request.
func wantsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// allowed reports whether the asrs.s.htt bitmask (all when absent) allows
// transport kind.
func allowed(htt string, kind int) bool {
	if htt == "" {
		return true
	}
	v, err := strconv.Atoi(htt)
	return err != nil || v&kind != 0
}

// get returns the live connection hub/id, or nil.
func (x *index) get(hub, id string) *conn {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if h := x.hubs[hub]; h != nil {
		return h.conns[id]
	}
	return nil
}

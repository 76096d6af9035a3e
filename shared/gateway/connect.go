package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/shared/upstream"
)

// connInfo is what the connect request tells about a connection.
type connInfo struct {
	hub, id, user string
	claims        token.Claims
	query         string // the client's query for upstream, minus secrets
	diag          bool   // holds a diagnostic slot, released when it ends
}

// connect serves requests to /client/?hub=H&id=T: today the WebSocket
// transport. Server-Sent Events and Long Polling come with their own issue;
// negotiate does not offer them yet.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	hub, err := hubParam(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	tok := r.URL.Query().Get("id")
	if tok == "" {
		httpError(w, http.StatusBadRequest, TextIDRequired)
		return
	}
	claims, err := s.authenticate(r, hub)
	if err != nil {
		unauthorized(w, err)
		return
	}
	user := claims.UserID()
	id, err := s.tokens.verify(tok, hub, user, s.cfg.Now())
	if err != nil {
		msg := TextNoConnection
		if errors.Is(err, errConnTokenExpired) {
			msg += TextConnectTooLate
		}
		httpError(w, http.StatusNotFound, msg)
		return
	}
	if !isWebSocketUpgrade(r) {
		s.notWebSocket(w, r, hub, id)
		return
	}
	dc := isDiagnostic(claims)
	if dc && !s.acquireDiagnostic() {
		httpError(w, http.StatusTooManyRequests, ErrTextTooManyDiagnostic)
		return
	}
	if !s.track() {
		s.endDiagnostic(dc)
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return
	}
	if !s.acquireConnection(w, r, hub, user) {
		s.conns.Done()
		s.endDiagnostic(dc)
		return
	}
	if !s.idx.reserve(hub, id) {
		s.releaseConnection(hub, user)
		s.conns.Done()
		s.endDiagnostic(dc)
		httpError(w, http.StatusConflict, TextIDInUse)
		return
	}
	info := connInfo{hub: hub, id: id, user: user, claims: claims, query: upstream.ClientQuery(r.URL.RawQuery), diag: dc}
	s.serveWebSocket(w, r, info) // calls s.conns.Done when the connection ends
}

// track counts a new connection unless the Server is draining; Shutdown
// waits for every counted connection.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.conns.Add(1)
	return true
}

// notWebSocket answers the non-upgrade requests a client may send to a
// connection URL.
func (s *Server) notWebSocket(w http.ResponseWriter, r *http.Request, hub, id string) {
	s.idx.mu.RLock()
	h := s.idx.hubs[hub]
	live := h != nil && h.conns[id] != nil
	s.idx.mu.RUnlock()
	switch {
	case live && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		// The connection uses WebSockets: sends and stops go over the socket.
		httpError(w, http.StatusMethodNotAllowed, "The connection uses the WebSockets transport.")
	case r.Method == http.MethodGet:
		httpError(w, http.StatusBadRequest, "Only the WebSockets transport is available: upgrade the request to a WebSocket.")
	default:
		httpError(w, http.StatusNotFound, TextNoConnection)
	}
}

func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/shared/upstream"
)

// connRequest is what a connect request tells about the connection it
// opens: admitted with it (admit), and kept for the upstream session.
type connRequest struct {
	hub, id, user string
	claims        token.Claims
	query         string // the client's query for upstream, minus secrets
	diag          bool   // holds a diagnostic slot, released when it ends
	stateful      bool   // its negotiate granted stateful reconnect
	addr          string // the client's IP address (forwarded.ClientIP)
}

// connect serves requests to /client/?hub=H&id=T: WebSocket upgrades here,
// the Server-Sent Events and Long Polling requests in serveHTTPTransport.
// Every request is authenticated again, so an expired access token gets
// 401 and the client negotiates again.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	hub, err := hubParam(q)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	tok := q.Get("id")
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
	expired := errors.Is(err, errConnTokenExpired)
	stateful := (err == nil || expired) && isWebSocketUpgrade(r) && statefulToken(tok) && s.statefulOn()
	if stateful && s.reconnect(w, r, connRequest{hub: hub, id: id, user: user, claims: claims}) {
		return // resume_ws.go
	}
	if err != nil && (!expired || isWebSocketUpgrade(r)) {
		msg := TextNoConnection
		if expired {
			msg += TextConnectTooLate
		}
		httpError(w, http.StatusNotFound, msg)
		return
	}
	req := connRequest{hub: hub, id: id, user: user, claims: claims, query: upstream.ClientQuery(r.URL.RawQuery),
		addr: forwarded.ClientIP(r, s.cfg.ForwardedHops), stateful: stateful}
	if !isWebSocketUpgrade(r) {
		s.serveHTTPTransport(w, r, req, expired)
		return
	}
	if !allowed(claims.String("asrs.s.htt"), httWebSockets) {
		httpError(w, http.StatusBadRequest, TextTransportNotAllowed)
		return
	}
	if !s.admit(w, r, &req) {
		return
	}
	s.serveWebSocket(w, r, req) // its end gives back what admit took
}

// admit takes what a new connection holds until it ends, in order: a
// diagnostic slot (asrs.s.dc), a place in Shutdown's count, its quota
// slots, its id in the index and, last, the claim of its id that makes
// the connection token single-use (claimOnce); it sets req.diag. When one is refused
// it gives back the ones taken, answers the request and reports false.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, req *connRequest) bool {
	if !s.admitSlots(w, r, req) {
		return false
	}
	if !s.claimOnce(w, r, req) { // last: a refusal above leaves the token usable
		s.refund(req)
		return false
	}
	return true
}

// admitSlots is admit but for the claim: what a connection taken over
// from another node holds here (its token was claimed when it connected).
func (s *Server) admitSlots(w http.ResponseWriter, r *http.Request, req *connRequest) bool {
	req.diag = isDiagnostic(req.claims)
	if req.diag && !s.acquireDiagnostic() {
		httpError(w, http.StatusTooManyRequests, ErrTextTooManyDiagnostic)
		return false
	}
	if !s.track() {
		s.endDiagnostic(req.diag)
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return false
	}
	if !s.acquireConnection(w, r, req.hub, req.user) {
		s.conns.Done()
		s.endDiagnostic(req.diag)
		return false
	}
	addr := ""
	if s.cfg.MaxAddressConnections > 0 {
		addr = req.addr
	}
	if err := s.idx.reserve(req.hub, req.id, addr); err != nil {
		s.releaseConnection(req.hub, req.user)
		s.conns.Done()
		s.endDiagnostic(req.diag)
		s.refuseReserve(w, req, addr, err)
		return false
	}
	return true
}

// refuseReserve answers a connect the index refused, logs it once and
// counts a limit it hit.
func (s *Server) refuseReserve(w http.ResponseWriter, req *connRequest, addr string, err error) {
	switch {
	case errors.Is(err, errHubLimit):
		s.log.Warn(ReasonHubLimit, "hubName", req.hub, "userId", req.user, "max_hubs", s.cfg.MaxHubs)
		s.limitReached(LimitHubs)
		httpError(w, http.StatusTooManyRequests, ReasonHubLimit)
	case errors.Is(err, errAddressLimit):
		s.log.Warn(ReasonAddressLimit, "hubName", req.hub, "userId", req.user, "address", addr,
			"max_address_connections", s.cfg.MaxAddressConnections)
		s.limitReached(LimitAddressConnections)
		httpError(w, http.StatusTooManyRequests, ReasonAddressLimit)
	default:
		httpError(w, http.StatusConflict, TextIDInUse)
	}
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

func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

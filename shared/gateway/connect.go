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

// connect serves requests to /client/?hub=H&id=T: WebSocket upgrades here,
// the Server-Sent Events and Long Polling requests in serveHTTPTransport.
// Every request is authenticated again, so an expired access token gets
// 401 and the client negotiates again.
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
	expired := errors.Is(err, errConnTokenExpired)
	if err != nil && (!expired || isWebSocketUpgrade(r)) {
		msg := TextNoConnection
		if expired {
			msg += TextConnectTooLate
		}
		httpError(w, http.StatusNotFound, msg)
		return
	}
	info := connInfo{hub: hub, id: id, user: user, claims: claims, query: upstream.ClientQuery(r.URL.RawQuery)}
	if !isWebSocketUpgrade(r) {
		s.serveHTTPTransport(w, r, info, expired)
		return
	}
	if !allowed(claims.String("asrs.s.htt"), httWebSockets) {
		httpError(w, http.StatusBadRequest, TextTransportNotAllowed)
		return
	}
	if !s.admit(w, r, &info) {
		return
	}
	s.serveWebSocket(w, r, info) // calls s.conns.Done when the connection ends
}

// admit takes what a new connection holds until it ends, in order: a
// diagnostic slot (asrs.s.dc), a place in Shutdown's count, its quota
// slots, its id in the index and, last, the claim of its id that makes
// the connection token single-use (claimOnce); it sets info.diag. When one is refused
// it gives back the ones taken, answers the request and reports false.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, info *connInfo) bool {
	info.diag = isDiagnostic(info.claims)
	if info.diag && !s.acquireDiagnostic() {
		httpError(w, http.StatusTooManyRequests, ErrTextTooManyDiagnostic)
		return false
	}
	if !s.track() {
		s.endDiagnostic(info.diag)
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return false
	}
	if !s.acquireConnection(w, r, info.hub, info.user) {
		s.conns.Done()
		s.endDiagnostic(info.diag)
		return false
	}
	addr := ""
	if s.cfg.MaxAddressConnections > 0 {
		addr = clientAddress(r, s.cfg.ForwardedHops)
	}
	if err := s.idx.reserve(info.hub, info.id, addr); err != nil {
		s.releaseConnection(info.hub, info.user)
		s.conns.Done()
		s.endDiagnostic(info.diag)
		s.refuseReserve(w, info, addr, err)
		return false
	}
	if !s.claimOnce(w, r, info) { // last: a refusal above leaves the token usable
		s.idx.unreserve(info.hub, info.id)
		s.releaseConnection(info.hub, info.user)
		s.conns.Done()
		s.endDiagnostic(info.diag)
		return false
	}
	return true
}

// refuseReserve answers a connect the index refused, logs it once and
// counts a limit it hit.
func (s *Server) refuseReserve(w http.ResponseWriter, info *connInfo, addr string, err error) {
	switch {
	case errors.Is(err, errHubLimit):
		s.log.Warn(ReasonHubLimit, "hub", info.hub, "user", info.user, "max_hubs", s.cfg.MaxHubs)
		s.limitReached(LimitHubs)
		httpError(w, http.StatusTooManyRequests, ReasonHubLimit)
	case errors.Is(err, errAddressLimit):
		s.log.Warn(ReasonAddressLimit, "hub", info.hub, "user", info.user, "address", addr,
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

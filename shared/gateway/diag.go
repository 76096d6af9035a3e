package gateway

import (
	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/token"
)

// ClaimDiagnostic marks a diagnostic client's access token ("true"): its
// messages are logged by the messaging logs' diagnostic mode.
const ClaimDiagnostic = token.ClaimDiagnostic

// DefaultMaxDiagnosticConnections is Config.MaxDiagnosticConnections'
// default: 100 per node, Azure's limit.
const DefaultMaxDiagnosticConnections = 100

// isDiagnostic reports whether claims mark a diagnostic client.
func isDiagnostic(claims token.Claims) bool {
	switch v := claims[ClaimDiagnostic].(type) {
	case string:
		return v == "true" || v == "True" || v == "TRUE"
	case bool:
		return v
	}
	return false
}

// acquireDiagnostic takes one of the node's diagnostic connection slots.
func (s *Server) acquireDiagnostic() bool {
	if s.diagConns.Add(1) > int64(s.cfg.MaxDiagnosticConnections) {
		s.diagConns.Add(-1)
		return false
	}
	return true
}

func (s *Server) releaseDiagnostic() { s.diagConns.Add(-1) }

// DiagnosticConnections is the number of diagnostic connections on this
// node, being set up or open.
func (s *Server) DiagnosticConnections() int { return int(s.diagConns.Load()) }

// traceStarted emits ConnectionStarted when connectivity events are wanted.
func (s *Server) traceStarted(c *conn, transport string) {
	if t := s.cfg.Tracer; t.Connectivity() {
		t.Emit(diag.Event{Category: diag.Connectivity, Name: diag.ConnectionStarted,
			Hub: c.hub, ConnectionID: c.id, UserID: c.user, Diagnostic: c.diag,
			Transport: transport, Protocol: c.proto.String(), RemoteAddr: c.addr})
	}
}

// traceEnded emits ConnectionEnded (the client closed) or
// ConnectionAborted (anything else, with the reason).
func (s *Server) traceEnded(c *conn, transport, label string) {
	t := s.cfg.Tracer
	if !t.Connectivity() {
		return
	}
	e := diag.Event{Category: diag.Connectivity, Name: diag.ConnectionAborted,
		Hub: c.hub, ConnectionID: c.id, UserID: c.user, Diagnostic: c.diag,
		Transport: transport, Protocol: c.proto.String(), Reason: c.reason(), ReasonLabel: label,
		RemoteAddr: c.addr}
	if label == CloseClientClosed {
		e.Name, e.Reason = diag.ConnectionEnded, ""
	}
	if label == CloseConnectionLost && e.Reason == "" {
		e.Reason = ReasonConnectionLost
	}
	t.Emit(e)
}

// Stateful reconnect events (diag names).
const (
	eventDetached      = diag.ConnectionDetached
	eventResumed       = diag.ConnectionResumed
	eventWindowExpired = diag.ReconnectWindowExpired
	eventBufferFull    = diag.ReconnectBufferFull
	eventTakenOver     = diag.ConnectionTakenOver
	eventHandedOver    = diag.ConnectionHandedOver
)

// statefulEvent emits a stateful reconnect event for c about messages
// messages, when connectivity events are wanted.
func (s *Server) statefulEvent(c *conn, name string, messages int) {
	if t := s.cfg.Tracer; t.Connectivity() {
		t.Emit(diag.Event{Category: diag.Connectivity, Name: name,
			Hub: c.hub, ConnectionID: c.id, UserID: c.user, Diagnostic: c.diag,
			Transport: transportWebSockets, Protocol: c.proto.String(), RemoteAddr: c.addr, Messages: messages})
	}
}

// traceDelivery emits MessageDelivered (queued is true) or MessageDropped
// for one connection of a fan-out, with the group of a group send (as its
// MessageReceived has it) and the client's address.
func (s *Server) traceDelivery(e *bus.Envelope, c *conn, queued bool) {
	ev := diag.Event{Category: diag.Messaging, Name: diag.MessageDelivered,
		Hub: c.hub, ConnectionID: c.id, UserID: c.user, Diagnostic: c.diag,
		TraceID: e.TraceID, Scope: e.Scope.String(), Target: e.ID, Method: e.Message.Target,
		RemoteAddr: c.addr}
	if !queued {
		ev.Name = diag.MessageDropped
	}
	if e.Scope == bus.ScopeGroup {
		ev.Group = e.ID
	}
	s.cfg.Tracer.Emit(ev)
}

// endDiagnostic releases a diagnostic slot taken for a connection that
// ends (or never started).
func (s *Server) endDiagnostic(diagnostic bool) {
	if diagnostic {
		s.releaseDiagnostic()
	}
}

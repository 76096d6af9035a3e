package upstream

import (
	"strconv"

	"github.com/google/uuid"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/token"
)

// isDiagnostic reports whether a connection's claims mark a diagnostic
// client (token.ClaimDiagnostic "true"), whose invocations the messaging
// logs' diagnostic mode records.
func isDiagnostic(claims map[string]any) bool {
	switch v := claims[token.ClaimDiagnostic].(type) {
	case string:
		return v == "true" || v == "True" || v == "TRUE"
	case bool:
		return v
	}
	return false
}

// traceReceived gives e a message tracing id and emits MessageReceived,
// when messaging events about this connection are wanted. Later events of
// e are emitted only when it has a tracing id.
func (s *Session) traceReceived(e *event) {
	if !s.c.cfg.Tracer.Messaging(s.diag) {
		return
	}
	e.trace = uuid.NewString()
	s.emit(e, diag.MessageReceived, 0, "")
}

// traceOutcome emits what became of e: UpstreamFailed (reason is the
// text the client got, or why the call failed), else UpstreamDelivered.
func (s *Session) traceOutcome(e *event, r Response, reason string) {
	if e.trace == "" {
		return
	}
	if reason == "" && (r.Err != nil || r.StatusCode < 200 || r.StatusCode > 299) {
		reason = "status code " + strconv.Itoa(r.StatusCode)
		if r.Err != nil {
			reason = transportErrorText(r.Err)
		}
	}
	if reason != "" {
		s.emit(e, diag.UpstreamFailed, r.StatusCode, reason)
		return
	}
	s.emit(e, diag.UpstreamDelivered, r.StatusCode, "")
}

// emit writes one messaging event about invocation e.
func (s *Session) emit(e *event, name string, status int, reason string) {
	s.c.cfg.Tracer.Emit(diag.Event{Category: diag.Messaging, Name: name,
		Hub: s.info.Hub, ConnectionID: s.info.ConnectionID, UserID: s.info.UserID, Diagnostic: s.diag,
		TraceID: e.trace, Scope: "client", Method: e.name, Status: status, Reason: reason,
		RemoteAddr: s.info.RemoteAddr})
}

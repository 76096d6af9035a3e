package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/token"
)

// The internal endpoint: the REST routes that must reach the node holding
// a connection (client results, stream items) locate the node through the
// bus (bus.Locator) and call this endpoint at the node's InternalURL, as
// Server-Sent Events and Long Polling requests are forwarded
// (docs/compat/client-results.md explains the choice). Requests carry a
// token signed with an AccessKey whose aud is
// "<InternalURL>/client/internal?hub=<hub>" and whose InternalClaim is
// "1"; shared/httpapi builds them. Answers are the REST answers, which the
// REST route passes on: JSON bodies, with x-ms-error-code on errors.
const (
	// internalPath is the endpoint's path.
	internalPath = "/client/internal"
	// InternalClaim marks a token made for the internal endpoint.
	InternalClaim = "herald.internal"
	// Operations, in the op query parameter.
	internalOpInvoke   = "invoke"
	internalOpItem     = "streamItem"
	internalOpComplete = "streamComplete"
	// EndpointInternal is the endpoint label of internal endpoint token
	// refusals counted through AuthMetrics.
	EndpointInternal = "internal"
	// LogInternalRefused is the message of the Warn record a request to
	// the internal endpoint refused for its token leaves, with hubName,
	// callerIpAddress, reasonLabel and message (the resource logs' names,
	// docs/diagnostics.md).
	LogInternalRefused = "internal request refused"
)

// REST error codes the internal endpoint answers with (Herald's, in
// Azure's Level.Scope.Kind shape; see docs/compat/client-results.md).
const (
	codeConnNotExisted   = "Error.Connection.NotExisted"
	codeStreamNotExisted = "Error.Stream.NotExisted"
	codeInvokeFailed     = "Error.Invocation.Failed"
	codeInvokeTimeout    = "Error.Invocation.Timeout"
	codeInvokeTooMany    = "Error.Invocation.TooManyPending"
	codeResultTooLarge   = "Error.Invocation.ResultTooLarge"
	codeInvalidRequest   = "Error.Request.Invalid"
	codeUnauthorized     = "Error.Request.Unauthorized"
)

// serveInternal serves the internal endpoint.
func (s *Server) serveInternal(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		restError(w, http.StatusMethodNotAllowed, "Error.Request.MethodNotAllowed", "Use POST.")
		return
	}
	hub, err := hubParam(r.URL.Query())
	if err != nil {
		restError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
		return
	}
	raw := token.FromRequest(r)
	claims, err := s.verifier.Verify(raw, token.Audience{Path: r.URL.Path, Hub: hub})
	label := token.Reason(err)
	if err == nil && claims.String(InternalClaim) != "1" {
		err, label = errors.New("not a token for the internal endpoint"), token.ReasonWrongKind
	}
	if err != nil {
		// The endpoint is on the client listener, which faces the
		// internet: refusals are counted as well as logged.
		if am, ok := s.cfg.Metrics.(AuthMetrics); ok {
			am.AuthRefused(EndpointInternal, label)
		}
		reason := token.Scrub(err.Error(), raw)
		s.log.Warn(LogInternalRefused, "hubName", hub, "callerIpAddress", forwarded.ClientIP(r, s.cfg.ForwardedHops),
			"reasonLabel", label, "message", reason)
		restError(w, http.StatusUnauthorized, codeUnauthorized, "Unauthorized: "+reason)
		return
	}
	q := r.URL.Query()
	id, streamID := q.Get("id"), q.Get("stream")
	if id == "" {
		restError(w, http.StatusBadRequest, codeInvalidRequest, "The connection id is missing.")
		return
	}
	limit := int64(s.cfg.MaxMessageBytes)
	if q.Get("op") == internalOpState {
		limit = s.stateLimit() // a connection's state (handover_wire.go)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		restError(w, http.StatusRequestEntityTooLarge, "Error.Request.TooLarge", "The body is too large.")
		return
	}
	switch q.Get("op") {
	case internalOpInvoke:
		s.internalInvoke(r.Context(), w, hub, id, body)
	case internalOpItem:
		completed, _ := strconv.ParseBool(q.Get("completed"))
		s.streamAnswer(w, s.SendStreamItem(hub, id, streamID, body, completed))
	case internalOpComplete:
		s.streamAnswer(w, s.CompleteStream(hub, id, streamID, q.Get("reason")))
	case internalOpState:
		s.serveState(w, hub, id, q.Get("taker"), body)
	case internalOpRelease:
		s.serveRelease(w, hub, id)
	default:
		restError(w, http.StatusBadRequest, codeInvalidRequest, "Unknown operation.")
	}
}

// invokeRequest is the internal invoke body: the REST payload.
type invokeRequest struct {
	Target    string          `json:"target"`
	Arguments json.RawMessage `json:"arguments"`
}

// invokeResponse is the 2024-12-01 ClientInvocationResponse: protocol is
// left out for JSON and MessagePack clients.
type invokeResponse struct {
	Result json.RawMessage `json:"result"`
}

func (s *Server) internalInvoke(ctx context.Context, w http.ResponseWriter, hub, id string, body []byte) {
	var req invokeRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Target == "" {
		restError(w, http.StatusBadRequest, codeInvalidRequest, "The body must be {\"target\": ..., \"arguments\": [...]}.")
		return
	}
	if string(req.Arguments) == "null" {
		req.Arguments = nil
	}
	// The wait may outlast the listener's WriteTimeout (30 s by default,
	// InvokeTimeout's default too): without a later deadline the answer,
	// a 504 or a late result, would not be written and the REST route
	// would see a broken call.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.InvokeTimeout + s.cfg.WriteTimeout))
	result, err := s.Invoke(ctx, hub, id, req.Target, req.Arguments, 0)
	var ce *ClientError
	switch {
	case err == nil:
		if result == nil {
			result = json.RawMessage("null")
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		// No HTML escaping: it would grow a result of "<" sixfold past
		// MaxInvokeResultBytes.
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(invokeResponse{Result: result})
	case errors.As(err, &ce):
		restError(w, http.StatusBadRequest, codeInvokeFailed, ce.Message)
	case errors.Is(err, ErrInvokeGone):
		restError(w, http.StatusNotFound, codeConnNotExisted, "The connection does not exist, or ended before it answered (clients without client result support, such as @microsoft/signalr before 7 and @aspnet/signalr, close their connection when asked for a result).")
	case errors.Is(err, ErrInvokeTimeout):
		restError(w, http.StatusGatewayTimeout, codeInvokeTimeout, "The client did not answer in time ("+s.cfg.InvokeTimeout.String()+"); clients without client result support never answer.")
	case errors.Is(err, ErrInvokeResultTooLarge):
		restError(w, http.StatusBadRequest, codeResultTooLarge, "The client's result is larger than "+strconv.Itoa(MaxInvokeResultBytes)+" bytes as JSON.")
	case errors.Is(err, ErrInvokeLimit):
		restError(w, http.StatusTooManyRequests, codeInvokeTooMany, "Too many invocations are waiting for this connection or node.")
	default:
		restError(w, http.StatusServiceUnavailable, "Error.Service.Unavailable", "The invocation was not completed.")
	}
}

func (s *Server) streamAnswer(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
	case errors.Is(err, ErrStreamNotFound):
		restError(w, http.StatusNotFound, codeStreamNotExisted, "No open stream with this id on this connection.")
	default:
		restError(w, http.StatusBadRequest, codeInvalidRequest, "The stream item is not valid JSON.")
	}
}

// restError writes a REST ErrorDetail answer.
func restError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, msg})
}

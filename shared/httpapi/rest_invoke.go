package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// Client results (:invoke) and server-to-client stream items (:send,
// :complete) need the gateway node holding the connection: the handler
// locates it through the bus (bus.Locator) and calls that node's internal
// endpoint (shared/gateway/internal.go), which answers in the REST shape;
// the answer is passed on. docs/compat/client-results.md and
// docs/compat/streams.md hold the facts and choices.

// The internal endpoint's contract, mirrored from shared/gateway/internal.go
// (the end-to-end tests in tests/e2e_clientresults_test.go and
// tests/e2e_streams_test.go go through both sides, so a mismatch fails them).
const (
	internalPath  = "/client/internal"
	internalClaim = "herald.internal"
	// internalOpInvoke is the op of an invoke call.
	internalOpInvoke = "invoke"
	// Codes of internal call timeouts.
	codeInvokeTimeout  = "Error.Invocation.Timeout"
	codeGatewayTimeout = "Error.Service.Timeout"
	// internalTokenLifetime covers the call: the token is checked once, on
	// arrival.
	internalTokenLifetime = time.Minute
	// internalCallLimit bounds an internal invoke call; the gateway answers
	// a client that does not reply after its InvokeTimeout (30s by default).
	internalCallLimit = 2 * time.Minute
	// deadlineMargin is kept from the caller's deadline (a Lambda
	// function's, whose runtime stops it there) to answer the REST caller
	// in time.
	deadlineMargin = time.Second
)

// streamCallLimit bounds an internal stream call (:send, :complete): the
// gateway only queues the frame and answers at once, so a gateway that
// does not answer within it is hung. A variable for tests.
var streamCallLimit = 10 * time.Second

// internalCallContext bounds an internal call of op: its own limit, and
// deadlineMargin before the caller's deadline when it has one.
func internalCallContext(parent context.Context, op string) (context.Context, context.CancelFunc) {
	end := time.Now().Add(streamCallLimit)
	if op == internalOpInvoke {
		end = time.Now().Add(internalCallLimit)
	}
	if d, ok := parent.Deadline(); ok && d.Add(-deadlineMargin).Before(end) {
		end = d.Add(-deadlineMargin)
	}
	return context.WithDeadline(parent, end)
}

// internalTimeout is the answer when the owning gateway did not answer in
// time: the operation may have reached the client, so it is no 503 "not
// applied" that an SDK would retry.
func internalTimeout(op string) *apiError {
	if op == internalOpInvoke {
		return &apiError{status: http.StatusGatewayTimeout, code: codeInvokeTimeout,
			msg: "No result in time: the gateway holding the connection did not answer before the request's deadline; the client may still run the invocation."}
	}
	return &apiError{status: http.StatusGatewayTimeout, code: codeGatewayTimeout,
		msg: "The gateway holding the connection did not answer in time; the stream message may or may not have been delivered."}
}

// internalClient calls gateway nodes; their responses are small JSON.
var internalClient = &http.Client{
	Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// maxInternalAnswer bounds a gateway's answer: the client's result, whose
// size the gateway bounds by its MaxMessageBytes, plus the JSON around it.
const maxInternalAnswer = 2 << 20

func (s *rest) invokeConnection(c *call) (any, error) {
	ct := c.r.Header.Get("Content-Type")
	if binary, err := checkContentType(ct); err != nil {
		return nil, err
	} else if binary {
		return nil, unsupportedMedia("application/octet-stream (use application/json for :invoke)")
	}
	msg, err := readMessage(c.w, c.r, s.maxBody)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(struct {
		Target    string          `json:"target"`
		Arguments json.RawMessage `json:"arguments"`
	}{msg.Target, msg.Arguments})
	if err != nil {
		return nil, err
	}
	return s.callOwner(c, url.Values{"op": {internalOpInvoke}}, body)
}

func (s *rest) sendStreamItem(c *call) (any, error) {
	if _, err := checkContentType(c.r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	if c.r.ContentLength > s.maxBody {
		return nil, tooLarge(s.maxBody)
	}
	item, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(s.maxBody)
		}
		return nil, invalid("body", "Could not read the request body.")
	}
	item = bytes.TrimSpace(item)
	if len(item) == 0 {
		item = []byte("null")
	}
	if !json.Valid(item) {
		return nil, invalid("body", "Invalid stream item: the body must be one JSON value.")
	}
	q := url.Values{"op": {"streamItem"}, "stream": {c.r.PathValue("streamId")}}
	if v := c.r.URL.Query().Get("completed"); v != "" {
		if v != "true" && v != "false" && v != "True" && v != "False" {
			return nil, invalid("completed", "Invalid completed: use true or false.")
		}
		q.Set("completed", v)
	}
	return s.callOwner(c, q, item)
}

func (s *rest) completeStream(c *call) (any, error) {
	q := c.r.URL.Query()
	// The swagger names the query reason; the Management SDK sends error.
	reason := q.Get("reason")
	if reason == "" {
		reason = q.Get("error")
	}
	return s.callOwner(c, url.Values{"op": {"streamComplete"}, "stream": {c.r.PathValue("streamId")}, "reason": {reason}}, nil)
}

// callOwner calls the internal endpoint of the node holding the call's
// connection with op's query and body, and returns its answer: the JSON
// body of a 200, nil for a 202, or the error it reported.
func (s *rest) callOwner(c *call, q url.Values, body []byte) (any, error) {
	loc, ok := s.bus.(bus.Locator)
	if !ok {
		return nil, &apiError{status: http.StatusNotImplemented, code: codeNotImplemented,
			msg: "This bus cannot locate connections: client results and streams are not available."}
	}
	id := c.r.PathValue("connectionId")
	addr, err := loc.Locate(c.ctx(), c.hub, id)
	switch {
	case errors.Is(err, bus.ErrConnectionNotFound):
		return nil, notFound(codeConnNotExistedErr, "The connection does not exist.")
	case err != nil:
		return nil, err
	case addr == "":
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "The gateway holding the connection takes no internal calls (no internal URL)."}
	}
	q.Set("hub", c.hub)
	q.Set("id", id)
	target := addr + internalPath + "?" + q.Encode()
	aud := addr + internalPath + "?hub=" + url.QueryEscape(c.hub)
	tok, err := s.issuer.Issue(aud, map[string]any{internalClaim: "1"}, internalTokenLifetime)
	if err != nil {
		return nil, err
	}
	ctx, cancel := internalCallContext(c.ctx(), q.Get("op"))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "The gateway holding the connection has a bad address.", cause: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := internalClient.Do(req)
	if err != nil {
		if c.ctx().Err() != nil {
			return nil, c.ctx().Err()
		}
		if ctx.Err() != nil {
			return nil, internalTimeout(q.Get("op"))
		}
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "The gateway holding the connection cannot be reached.", cause: err}
	}
	defer resp.Body.Close()
	// One byte more than allowed tells a long answer from one that fits: a
	// cut answer is not JSON, and writeJSON would turn it into 200 "{}".
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxInternalAnswer+1))
	if err != nil && ctx.Err() != nil && c.ctx().Err() == nil {
		return nil, internalTimeout(q.Get("op"))
	}
	if err != nil {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "The gateway's answer was cut.", cause: err}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		answer = bytes.TrimSpace(answer)
		if len(answer) > maxInternalAnswer || !json.Valid(answer) {
			return nil, &apiError{status: http.StatusBadGateway, code: codeInternal,
				msg:   "The gateway's answer is too long or not JSON.",
				cause: fmt.Errorf("internal answer of %d bytes (limit %d) is not valid JSON", len(answer), maxInternalAnswer)}
		}
		return json.RawMessage(answer), nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil, nil
	}
	var detail errorBody
	_ = json.Unmarshal(answer, &detail)
	if detail.Code == "" {
		detail.Code, detail.Message = codeInternal, "The gateway answered "+resp.Status+"."
	}
	return nil, &apiError{status: resp.StatusCode, code: detail.Code, msg: detail.Message}
}

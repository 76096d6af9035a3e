package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Client results: the REST :invoke call reaches the node holding the
// connection (internal.go), which sends the client an Invocation with an
// invocation id and waits for the client's Completion. The facts and the
// choices are in docs/compat/client-results.md.

// Defaults of the client result limits (Config.MaxConnectionInvocations,
// MaxInvocations, InvokeTimeout).
const (
	DefaultMaxConnectionInvocations = 16
	DefaultMaxInvocations           = 10000
	DefaultInvokeTimeout            = 30 * time.Second
)

// Errors of invoke: why a client result is not returned.
var (
	// ErrInvokeGone: the connection is not on this node, or ended before
	// it answered.
	ErrInvokeGone = errors.New("gateway: the connection is gone")
	// ErrInvokeTimeout: the client did not answer in time (a client
	// without client result support never answers).
	ErrInvokeTimeout = errors.New("gateway: the client did not answer in time")
	// ErrInvokeLimit: too many invocations are waiting for the connection
	// or for the node.
	ErrInvokeLimit = errors.New("gateway: too many pending client invocations")
	// ErrInvokeResultTooLarge: the client's result, as JSON, is longer
	// than MaxInvokeResultBytes.
	ErrInvokeResultTooLarge = errors.New("gateway: the client's result is too large")
)

// MaxInvokeResultBytes bounds a client's result as JSON: the internal
// endpoint's answer wraps it in {"result":...} and the REST route reads at
// most 2 MiB of it (shared/httpapi/rest_invoke.go). A result within
// MaxMessageBytes can still exceed it once converted: MessagePack strings
// of control characters grow sixfold as JSON escapes.
const MaxInvokeResultBytes = 2<<20 - 64

// ClientError is the error a client returned for an invocation.
type ClientError struct{ Message string }

func (e *ClientError) Error() string { return "client returned an error: " + e.Message }

// InvokeMetrics is implemented by a Metrics that counts client results; the
// gateway calls it when its Metrics does.
type InvokeMetrics interface {
	// Invoked counts one client invocation by outcome: "result", "error",
	// "gone", "timeout", "limit", "too_large".
	Invoked(outcome string)
	// UnknownCompletion counts a Completion for no pending invocation.
	UnknownCompletion()
}

// invokes tracks the invocations this node waits on, bounded per connection
// and in total.
type invokes struct {
	mu      sync.Mutex
	next    uint64
	byID    map[string]*pendingInvoke
	perConn map[*conn]map[string]*pendingInvoke // byID by connection
}

type pendingInvoke struct {
	c    *conn
	done chan invokeOutcome // buffered: completed once
}

type invokeOutcome struct {
	result json.RawMessage // JSON; nil without a result
	err    error
}

// add registers an invocation for c and returns its id, or ErrInvokeLimit.
func (v *invokes) add(c *conn, perConn, total int) (string, *pendingInvoke, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byID == nil {
		v.byID = map[string]*pendingInvoke{}
		v.perConn = map[*conn]map[string]*pendingInvoke{}
	}
	if len(v.byID) >= total || len(v.perConn[c]) >= perConn {
		return "", nil, ErrInvokeLimit
	}
	v.next++
	id := "h" + strconv.FormatUint(v.next, 36)
	p := &pendingInvoke{c: c, done: make(chan invokeOutcome, 1)}
	v.byID[id] = p
	if v.perConn[c] == nil {
		v.perConn[c] = map[string]*pendingInvoke{}
	}
	v.perConn[c][id] = p
	return id, p, nil
}

// take removes invocation id when it belongs to c (any connection when c is
// nil) and returns it.
func (v *invokes) take(c *conn, id string) *pendingInvoke {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.byID[id]
	if p == nil || (c != nil && p.c != c) {
		return nil
	}
	v.dropLocked(id, p)
	return p
}

func (v *invokes) dropLocked(id string, p *pendingInvoke) {
	delete(v.byID, id)
	if mine := v.perConn[p.c]; mine != nil {
		if delete(mine, id); len(mine) == 0 {
			delete(v.perConn, p.c)
		}
	}
}

// connEnded fails every invocation pending on c.
func (v *invokes) connEnded(c *conn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, p := range v.perConn[c] { // c's own: no walk of the node's
		v.dropLocked(id, p)
		p.done <- invokeOutcome{err: ErrInvokeGone}
	}
}

// pending reports the number of invocations waiting (tests).
func (v *invokes) pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.byID)
}

// Invoke sends the client connection hub/id an Invocation of target with
// args (a JSON array) and waits for its Completion, at most timeout
// (InvokeTimeout when 0). It returns the result as JSON (nil when the
// client returned none), or an error: a *ClientError, ErrInvokeGone,
// ErrInvokeTimeout, ErrInvokeLimit, or the context's error.
func (s *Server) Invoke(ctx context.Context, hub, id, target string, args json.RawMessage, timeout time.Duration) (json.RawMessage, error) {
	c := s.idx.get(hub, id)
	if c == nil || c.isClosing() || (c.hs != nil && !c.hs.ready.Load()) {
		s.invokeOutcome("gone")
		return nil, ErrInvokeGone
	}
	invID, p, err := s.invokes.add(c, s.cfg.MaxConnectionInvocations, s.cfg.MaxInvocations)
	if err != nil {
		s.invokeOutcome("limit")
		s.log.Warn("client invocation refused: too many pending", "hubName", hub, "connectionId", id,
			"per_connection", s.cfg.MaxConnectionInvocations, "total", s.cfg.MaxInvocations)
		return nil, err
	}
	frame, err := invocationWithID(c.proto, invID, target, args)
	if err != nil {
		s.invokes.take(c, invID)
		return nil, err
	}
	if !c.enqueue(frame) {
		s.invokes.take(c, invID)
		s.invokeOutcome("gone")
		return nil, ErrInvokeGone
	}
	if c.isClosing() {
		// Closed between the lookup and the enqueue: connEnded may have run
		// before the invocation was added.
		if s.invokes.take(c, invID) != nil {
			s.invokeOutcome("gone")
			return nil, ErrInvokeGone
		}
	}
	if timeout <= 0 {
		timeout = s.cfg.InvokeTimeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case o := <-p.done:
		return s.finishInvoke(hub, id, o)
	case <-t.C:
		err = ErrInvokeTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	if s.invokes.take(c, invID) == nil {
		// Completed meanwhile.
		return s.finishInvoke(hub, id, <-p.done)
	}
	if errors.Is(err, ErrInvokeTimeout) {
		s.invokeOutcome("timeout")
		s.log.Info("client invocation timed out", "hubName", hub, "connectionId", id, "invocation", invID, "timeout", timeout)
	}
	return nil, err
}

func (s *Server) finishInvoke(hub, id string, o invokeOutcome) (json.RawMessage, error) {
	var ce *ClientError
	switch {
	case o.err == nil:
		s.invokeOutcome("result")
	case errors.As(o.err, &ce):
		s.invokeOutcome("error")
	case errors.Is(o.err, ErrInvokeGone):
		s.invokeOutcome("gone")
		s.log.Info("client invocation failed: the connection ended", "hubName", hub, "connectionId", id)
	case errors.Is(o.err, ErrInvokeResultTooLarge):
		s.invokeOutcome("too_large")
	}
	return o.result, o.err
}

func (s *Server) invokeOutcome(outcome string) {
	if m, ok := s.cfg.Metrics.(InvokeMetrics); ok {
		m.Invoked(outcome)
	}
}

// clientCompletion completes a pending invocation with the client's
// Completion; one for no invocation of c is logged and ignored.
func (s *Server) clientCompletion(c *conn, m *hubproto.Message) {
	p := s.invokes.take(c, m.InvocationID)
	if p == nil {
		if mm, ok := s.cfg.Metrics.(InvokeMetrics); ok {
			mm.UnknownCompletion()
		}
		s.log.Debug("ignoring a Completion for no pending invocation", "hubName", c.hub, "connectionId", c.id, "invocation", m.InvocationID)
		return
	}
	var o invokeOutcome
	tooLarge := false
	switch {
	case m.Error != "":
		o.err = &ClientError{Message: m.Error}
	case m.HasResult && c.proto == protoMsgpack:
		// Bounded while converting: the JSON form of a hostile result may
		// be several times its MessagePack size.
		js, err := hubproto.MsgpackToJSONLimit(nil, m.Result, MaxInvokeResultBytes)
		switch {
		case errors.Is(err, hubproto.ErrJSONTooLarge):
			tooLarge = true
		case err != nil:
			o.err = &ClientError{Message: "the client's result cannot be converted to JSON: " + err.Error()}
		default:
			o.result = js
		}
	case m.HasResult:
		if tooLarge = len(m.Result) > MaxInvokeResultBytes; !tooLarge {
			o.result = append(json.RawMessage(nil), m.Result...)
		}
	}
	if tooLarge {
		s.log.Warn("client result refused: too large", "hubName", c.hub, "connectionId", c.id, "invocation", m.InvocationID,
			"bytes", len(m.Result), "limit", MaxInvokeResultBytes)
		o = invokeOutcome{err: ErrInvokeResultTooLarge}
	}
	p.done <- o
}

// invocationWithID encodes an Invocation expecting a Completion; args are
// JSON and converted for MessagePack.
func invocationWithID(p proto, invID, target string, args json.RawMessage) ([]byte, error) {
	if len(args) == 0 {
		args = json.RawMessage("[]")
	}
	m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: invID, Target: target, Arguments: args}
	if p == protoMsgpack {
		mp, err := hubproto.JSONToMsgpack(nil, args)
		if err != nil {
			return nil, err
		}
		m.Arguments = mp
	}
	rec, err := p.codec().Append(nil, &m)
	if err != nil {
		return nil, err
	}
	return p.frame(rec), nil
}

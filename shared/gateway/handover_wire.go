package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// The internal endpoint's handover operations (internal.go has the
// endpoint and its authentication, which is checked before any body is
// read):
//
//	op=state&id=<conn>&taker=<id>   the old node sends a taker the state of the
//	                                connection it took over (body: handoverState)
//	op=release&id=<conn>            a taker asks the old node to cut the socket
//	                                of a stateful connection it has not seen
//	                                drop, so that the bus lets it move
const (
	internalOpState   = "state"
	internalOpRelease = "release"
)

// handoverState is the body of a state operation.
type handoverState struct {
	Snapshot ResumeSnapshot `json:"snapshot"`
	// CloseReason is set when the connection was closed (by the
	// application) before the handover: the taker ends it.
	CloseReason string `json:"closeReason,omitempty"`
}

// stateLimit bounds the body of a state operation: the frames of a full
// buffer in base64, with room for their JSON and many small frames.
func (s *Server) stateLimit() int64 { return 8*int64(s.cfg.StatefulBufferBytes) + 64<<10 }

// serveState takes the state of a connection this node is taking over.
func (s *Server) serveState(w http.ResponseWriter, hub, id, taker string, body []byte) {
	var st handoverState
	if err := json.Unmarshal(body, &st); err != nil {
		restError(w, http.StatusBadRequest, codeInvalidRequest, "The state is not valid JSON.")
		return
	}
	if !s.handovers.deliver(connKey{hub, id}, taker, st) {
		restError(w, http.StatusNotFound, codeConnNotExisted, "No takeover of this connection is under way here.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deliver hands st to the take of key by taker; false when there is none.
func (h *handovers) deliver(key connKey, taker string, st handoverState) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.takes[key]
	if t == nil || t.taker != taker {
		return false
	}
	select {
	case t.state <- st:
		return true
	default:
		return false // delivered already
	}
}

// pushStateSlot is pushState in one of the node's state send slots.
func (s *Server) pushStateSlot(c *conn, taker string) error {
	if !acquire(s.cutCtx, s.handovers.pushSlots) {
		return errors.New("no state send slot came free in time")
	}
	defer func() { <-s.handovers.pushSlots }()
	return s.pushState(c, taker)
}

// pushState sends c's state to the node that took it over by taker.
func (s *Server) pushState(c *conn, taker string) error {
	snap, ok := s.snapshot(c)
	if !ok {
		return errors.New("no stateful reconnect state")
	}
	body, err := json.Marshal(handoverState{Snapshot: snap, CloseReason: c.reason()})
	if err != nil {
		return fmt.Errorf("encode the state: %w", err)
	}
	ctx, cancel := s.busContext(context.Background())
	to, err := s.cfg.Bus.Locate(ctx, c.hub, c.id)
	cancel()
	switch {
	case errors.Is(err, bus.ErrConnectionNotFound):
		return errors.New("the taker ended the connection already")
	case err != nil:
		return fmt.Errorf("locate the taker: %w", err)
	case to == "" || to == s.cfg.InternalURL:
		return fmt.Errorf("the bus names no other node (%q)", to)
	}
	if _, err := s.callNode(context.Background(), to, c.hub,
		url.Values{"op": {internalOpState}, "id": {c.id}, "taker": {taker}}, body, 4<<10); err != nil {
		return err
	}
	s.statefulEvent(c, eventHandedOver, len(snap.Frames))
	return nil
}

// serveRelease cuts the socket of a stateful connection a taker found
// attached, and answers once it is detached.
func (s *Server) serveRelease(w http.ResponseWriter, hub, id string) {
	c := s.idx.get(hub, id)
	if c == nil || c.sr == nil {
		restError(w, http.StatusNotFound, codeConnNotExisted, "No stateful connection with this id on this node.")
		return
	}
	s.log.Info("stateful connection resumes on another node: cutting the socket it replaces", "hubName", hub, "connectionId", id, "userId", c.user)
	if !c.waitDetached(takeOverTimeout) {
		restError(w, http.StatusServiceUnavailable, "Error.Service.Unavailable", "The socket did not let go in time.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// askRelease asks the node at from to let go of a connection's socket.
func (s *Server) askRelease(ctx context.Context, from, hub, id string) error {
	_, err := s.callNode(ctx, from, hub, url.Values{"op": {internalOpRelease}, "id": {id}}, nil, 4<<10)
	return err
}

// callNode calls another node's internal endpoint with a token of its
// own, and returns the body of a 2xx answer, read up to limit bytes.
func (s *Server) callNode(ctx context.Context, addr, hub string, q url.Values, body []byte, limit int64) ([]byte, error) {
	q.Set("hub", hub)
	aud := addr + internalPath + "?hub=" + url.QueryEscape(hub)
	tok, err := s.issuer.Issue(aud, map[string]any{InternalClaim: "1"}, time.Minute)
	if err != nil {
		return nil, fmt.Errorf("issue an internal token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, handoverWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, addr+internalPath+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("node address %q: %w", addr, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.internalClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call node %s: %w", addr, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read the answer of node %s: %w", addr, err)
	case int64(len(answer)) > limit:
		return nil, fmt.Errorf("the answer of node %s is over %d bytes", addr, limit)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("node %s answered %s: %s", addr, resp.Status, bytes.TrimSpace(answer))
	}
	return answer, nil
}

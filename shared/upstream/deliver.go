package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/diag"
)

// drainLimit is how much of an ignored response body is read so that the
// connection can be reused.
const drainLimit = 64 << 10

// deliver sends one event and handles its response.
func (s *Session) deliver(e event) {
	blocking := e.kind == kindInvocation && e.id != ""
	start := time.Now()
	r := s.call(e, blocking && !e.stream)
	elapsed := time.Since(start)
	if obs := s.c.cfg.Observe; obs != nil {
		category := CategoryConnections
		if e.kind == kindInvocation {
			category = CategoryMessages
		}
		obs(category, r.StatusCode, elapsed, r.Err)
	}
	if !blocking {
		if r.Err != nil || r.StatusCode < 200 || r.StatusCode > 299 {
			s.logFailure(e, r, "", elapsed)
		}
		if e.kind == kindInvocation {
			s.traceOutcome(&e, r, "")
		}
		return
	}
	if e.stream && r.Err == nil && r.StatusCode >= 200 && r.StatusCode <= 299 {
		s.traceOutcome(&e, r, "")
		return // the items and the completion come through the REST stream routes
	}
	frame, errText, err := replyFrame(s.info.Codec, e.id, r)
	if err != nil {
		s.c.cfg.Logger.Error("upstream: cannot encode completion", "hubName", s.info.Hub, "connectionId", s.info.ConnectionID, "err", err)
		return
	}
	if errText != "" {
		s.logFailure(e, r, errText, elapsed)
	}
	s.traceOutcome(&e, r, errText)
	if errText == "" && e.trace != "" {
		// Before the reply: the client may invoke again as soon as it
		// has its answer, and its trace must read in order.
		s.emit(&e, diag.UpstreamAnswered, r.StatusCode, "")
	}
	e.reply(frame)
}

// call posts e and returns the response. With keepBody the body of a 200
// response is read up to MaxResponseBytes; otherwise it is discarded.
// At most MaxConcurrent calls run at once across the Client.
func (s *Session) call(e event, keepBody bool) Response {
	c := s.c
	select {
	case c.sem <- struct{}{}:
	case <-c.abort:
		return Response{Err: ErrClosed}
	}
	defer func() { <-c.sem }()

	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	key, ok := c.track(cancel)
	if !ok {
		return Response{Err: ErrClosed}
	}
	defer c.untrack(key)

	r := s.roundTrip(ctx, e, keepBody)
	if r.Err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			r.Err = errors.Join(context.DeadlineExceeded, r.Err)
		case ctx.Err() != nil:
			r.Err = errors.Join(ErrClosed, r.Err)
		}
	}
	return r
}

func (s *Session) roundTrip(ctx context.Context, e event, keepBody bool) Response {
	body, contentType := e.body, s.contentType
	switch e.kind {
	case kindConnected:
		contentType = ContentTypeJSON
	case kindDisconnected:
		body, contentType = disconnectedBody(e.errMsg), ContentTypeJSON
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return Response{Err: err}
	}
	h := s.header.Clone()
	category := CategoryConnections
	if e.kind == kindInvocation {
		category = CategoryMessages
	}
	h[HeaderCategory] = []string{category}
	h[HeaderEvent] = []string{headerSafe(e.name)}
	h["Content-Type"] = []string{contentType}
	req.Header = h

	resp, err := s.c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Response{Err: err}
	}
	defer resp.Body.Close()
	r := Response{StatusCode: resp.StatusCode}
	if !keepBody || resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return r
	}
	limit := s.c.cfg.MaxResponseBytes
	if resp.ContentLength > limit {
		r.TooLarge = true
		return r
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		r.Err = err
	case int64(len(b)) > limit:
		r.TooLarge = true
	default:
		r.Body = b
	}
	return r
}

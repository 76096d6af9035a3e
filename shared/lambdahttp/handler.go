package lambdahttp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Handler serves Lambda invocations with an http.Handler. It implements
// the aws-lambda-go lambda.Handler interface (Invoke), so a main calls
// lambda.Start(lambdahttp.New(h, log)).
type Handler struct {
	h   http.Handler
	log *slog.Logger
}

// New returns a Handler serving h. log receives a record when an event
// cannot be turned into a request or h panics; nil discards.
func New(h http.Handler, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{h: h, log: log}
}

// Invoke serves one event (ALB or payload 2.0) and returns the answer in
// the event source's format. A payload that is neither event source is an
// error wrapping ErrEvent (the load balancer then answers 502); an event
// whose method, path or base64 body is malformed is answered 400.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := decodeEvent(payload)
	if err != nil {
		return nil, err
	}
	r, src, err := toRequest(ctx, ev)
	if err != nil {
		h.log.ErrorContext(ctx, "event is not a request", "err", err)
		if src == 0 {
			return nil, err
		}
		w := newRecorder()
		w.header.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.body.WriteString("Bad request: " + err.Error())
		return h.answer(w, src, ev)
	}
	w := newRecorder()
	h.serve(w, r)
	if r.Method == http.MethodHead {
		w.body.Reset() // as net/http's server: a HEAD answer has no body
	}
	return h.answer(w, src, ev)
}

// serve runs the handler; a panic becomes a 500, as net/http's server
// would end the connection instead.
func (h *Handler) serve(w *recorder, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(r.Context(), "handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			w.header, w.status = http.Header{}, 0
			w.body.Reset()
			w.WriteHeader(http.StatusInternalServerError)
		}
	}()
	h.h.ServeHTTP(w, r)
}

func (h *Handler) answer(w *recorder, src source, ev event) ([]byte, error) {
	if src == fromALB {
		return json.Marshal(w.alb(ev.alb.MultiValueHeaders != nil))
	}
	return json.Marshal(w.v2())
}

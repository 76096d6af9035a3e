package serverless

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/heraldrt/herald/shared/upstream"
)

// HandlerFunc handles a client invocation. Its result is marshalled with
// encoding/json and returned to the client; an error's text becomes the
// error the client's invoke rejects with.
type HandlerFunc func(ctx context.Context, inv *InvocationContext) (any, error)

// EventFunc handles a connected or disconnected event.
type EventFunc func(ctx context.Context, inv *InvocationContext) error

// Hub is an http.Handler for upstream requests that dispatches them to
// handlers by event, as a Functions app with SignalR triggers does. It
// answers every hub name it receives (InvocationContext.Hub says which);
// route hubs to different URLs with the upstream templates' HubPattern.
//
// Responses:
//
//   - messages: 200 with a framed Completion for a blocking invocation
//     (the handler's result, or an error Completion with the handler
//     error's text, as the Functions trigger answers); an empty 200 for a
//     non-blocking one, whose handler error is only logged.
//   - connected: 200, or 403 when the handler returns an error.
//   - disconnected: 200, or 500 when the handler returns an error (the
//     service ignores the response).
//   - 404 when no handler is registered for the event (connected and
//     disconnected included); 405 for a method other than POST; 415, 400,
//     401 or 413 when ParseRequest fails (Status).
//
// Register handlers before serving; registering while serving is safe but
// races with the requests in flight.
type Hub struct {
	keys []string

	// Logger receives handler errors of non-blocking invocations and of
	// disconnected events, which no client sees. Set it before serving.
	// Default: discard.
	Logger *slog.Logger

	mu           sync.RWMutex
	handlers     map[string]HandlerFunc // by lower-cased event
	connected    EventFunc
	disconnected EventFunc
}

// NewHub returns a Hub that accepts requests signed with any of keys (the
// AccessKeys of the service's connection strings, primary and secondary).
// With no keys it rejects every request with 401.
func NewHub(keys []string) *Hub {
	return &Hub{keys: append([]string(nil), keys...), handlers: make(map[string]HandlerFunc)}
}

// On registers fn for the invocations of target event, matched
// case-insensitively, replacing any handler registered before.
func (h *Hub) On(event string, fn HandlerFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handlers[strings.ToLower(event)] = fn
}

// OnConnected registers fn for the connected event. An error answers 403;
// the service logs it (Herald and the Azure emulator keep the client
// connected).
func (h *Hub) OnConnected(fn EventFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connected = fn
}

// OnDisconnected registers fn for the disconnected event;
// InvocationContext.Error says why the connection ended.
func (h *Hub) OnDisconnected(fn EventFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.disconnected = fn
}

// ServeHTTP verifies and dispatches one upstream request.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	inv, err := ParseRequest(r, h.keys)
	if err != nil {
		status := Status(err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	ctx := r.Context()
	switch {
	case strings.EqualFold(inv.Category, upstream.CategoryMessages):
		fn := h.handler(inv.Event)
		if fn == nil {
			http.NotFound(w, r)
			return
		}
		result, err := fn(ctx, inv)
		if err != nil {
			if inv.InvocationID == "" {
				h.logger().Warn("serverless: handler failed", "hub", inv.Hub, "conn", inv.ConnectionID, "event", inv.Event, "err", err)
			}
			_ = WriteError(w, inv, err.Error())
			return
		}
		if err := WriteResult(w, inv, result); err != nil {
			h.logger().Warn("serverless: cannot answer", "hub", inv.Hub, "conn", inv.ConnectionID, "event", inv.Event, "err", err)
		}
	case strings.EqualFold(inv.Category, upstream.CategoryConnections):
		h.connectionEvent(w, r, inv)
	default:
		http.NotFound(w, r)
	}
}

func (h *Hub) connectionEvent(w http.ResponseWriter, r *http.Request, inv *InvocationContext) {
	h.mu.RLock()
	connected, disconnected := h.connected, h.disconnected
	h.mu.RUnlock()
	switch {
	case strings.EqualFold(inv.Event, upstream.EventConnected) && connected != nil:
		if err := connected(r.Context(), inv); err != nil {
			h.logger().Debug("serverless: connected handler refused", "hub", inv.Hub, "conn", inv.ConnectionID, "err", err)
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
			return
		}
	case strings.EqualFold(inv.Event, upstream.EventDisconnected) && disconnected != nil:
		if err := disconnected(r.Context(), inv); err != nil {
			h.logger().Warn("serverless: disconnected handler failed", "hub", inv.Hub, "conn", inv.ConnectionID, "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Hub) handler(event string) HandlerFunc {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.handlers[strings.ToLower(event)]
}

func (h *Hub) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

package lambdafn

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
)

// lazy builds its handler at the first request and keeps it; a failed
// build answers 503 and is tried again by the next request.
type lazy struct {
	build func(ctx context.Context) (http.Handler, error)
	log   *slog.Logger

	mu sync.Mutex
	h  http.Handler
}

func (l *lazy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, err := l.handler(r.Context())
	if err != nil {
		l.log.ErrorContext(r.Context(), "function not ready", "err", err)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("x-ms-error-code", "Error.Service.Unavailable")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":"Error.Service.Unavailable","message":"The service is starting or misconfigured (AccessKey not available); try again later."}`))
		return
	}
	h.ServeHTTP(w, r)
}

func (l *lazy) handler(ctx context.Context) (http.Handler, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h != nil {
		return l.h, nil
	}
	h, err := l.build(ctx)
	if err != nil {
		return nil, err
	}
	l.h = h
	return h, nil
}

package diag

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Middleware emits an HTTPRequest event for every request next answers,
// while HTTP events are wanted; otherwise it calls next directly. The
// path is logged without its query, which may carry access tokens. A
// WebSocket upgrade is logged when its handler returns (status 101).
func Middleware(t *Tracer, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.HTTP() {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		t.Emit(Event{
			Category: HTTP, Name: HTTPRequest,
			HTTPMethod: r.Method, Path: r.URL.Path, Status: status,
			Hub:        hubOf(r),
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			RemoteAddr: callerIP(r.RemoteAddr),
		})
	})
}

// statusWriter records the status and passes flushing and hijacking
// through (Server-Sent Events flush, WebSockets hijack).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("diag: the response cannot be hijacked")
	}
	w.status = http.StatusSwitchingProtocols
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the original writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hubOf returns the hub a request is about: the segment after "hubs" in
// a REST path (/api/v1/hubs/{hub}/...), else the "hub" query parameter
// (client negotiate and connect).
func hubOf(r *http.Request) string {
	hub := r.URL.Query().Get("hub")
	if _, rest, ok := strings.Cut(r.URL.Path, "/hubs/"); ok {
		hub, _, _ = strings.Cut(rest, "/")
	}
	if len(hub) > maxLoggedHub {
		hub = hub[:maxLoggedHub] // an unauthenticated caller's input: logged bounded
	}
	return hub
}

// maxLoggedHub bounds the hub name an HTTP record repeats.
const maxLoggedHub = 128

// callerIP returns the IP address of a request's RemoteAddr ("ip:port").
func callerIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

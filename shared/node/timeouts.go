package node

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Defaults of HTTPLimits.
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers (also the
	// first request of a new connection): slowloris on headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included
	// (slowloris on bodies). Streams (WebSockets, Server-Sent Events, Long
	// Polling, the live trace) are GETs without a body and are exempt.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing a response; on a stream it bounds
	// each write instead, so a stream may last but a stalled reader cannot
	// hold a write.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may wait for
	// its next request: above the 120 s idle timeout of the template's load
	// balancer (AWS asks targets to keep connections longer than the
	// balancer does, else it may reuse one the target is closing).
	DefaultIdleTimeout = 130 * time.Second
	// DefaultMaxHeaderBytes bounds a request's header block (request line
	// included): an access token is at most 4 KiB.
	DefaultMaxHeaderBytes = 16 << 10
	// adminMinWriteTimeout is the least write timeout of the admin
	// listener: a CPU profile or trace takes 30 s by default before its
	// answer is written.
	adminMinWriteTimeout = 2 * time.Minute
)

// HTTPLimits are the timeouts and header limit of every listener (main,
// TLS and admin). Zero values mean the defaults above.
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// withDefaults fills the zero fields of l.
func (l HTTPLimits) withDefaults() HTTPLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return l
}

// apply sets l on srv.
func (l HTTPLimits) apply(srv *http.Server) {
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.ReadTimeout = l.ReadTimeout
	srv.WriteTimeout = l.WriteTimeout
	srv.IdleTimeout = l.IdleTimeout
	srv.MaxHeaderBytes = l.MaxHeaderBytes
}

// isStream reports a request that may last as long as its connection: a
// GET without a body on the client transports (WebSocket upgrade,
// Server-Sent Events, Long Polling; forwarded ones too) or the live
// trace's event stream.
func isStream(r *http.Request) bool {
	if r.Method != http.MethodGet || r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return false
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	return strings.HasSuffix(p, "/client") || strings.HasSuffix(p, "/livetrace/events")
}

// streamDeadlines exempts streams from the server's whole-request read and
// write timeouts, which would cut them (and a read deadline cancels the
// request's context once it passes): their read deadline is cleared (they
// have no body; WebSockets set their own after the upgrade) and every
// write gets its own deadline of writeTimeout, unless the handler sets
// write deadlines itself through http.ResponseController.
func streamDeadlines(h http.Handler, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStream(r) {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, timeout: writeTimeout}, r)
	})
}

// deadlineWriter sets a write deadline before each write and flush of a
// stream, until the handler sets one itself.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	own     bool // the handler manages its write deadlines
}

func (w *deadlineWriter) arm() {
	if !w.own {
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.arm() // the header may only go out when the handler returns
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.arm()
	return w.ResponseWriter.Write(b)
}

// FlushError implements the flush of http.ResponseController.
func (w *deadlineWriter) FlushError() error {
	w.arm()
	return w.rc.Flush()
}

// Flush implements http.Flusher.
func (w *deadlineWriter) Flush() { _ = w.FlushError() }

// SetWriteDeadline implements http.ResponseController's: from now on the
// handler manages the write deadlines.
func (w *deadlineWriter) SetWriteDeadline(t time.Time) error {
	w.own = true
	return w.rc.SetWriteDeadline(t)
}

// SetReadDeadline implements http.ResponseController's.
func (w *deadlineWriter) SetReadDeadline(t time.Time) error { return w.rc.SetReadDeadline(t) }

// Hijack implements http.Hijacker (WebSocket upgrades); the hijacked
// connection has no deadline, its owner sets them.
func (w *deadlineWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("node: the response cannot be hijacked")
	}
	w.own = true
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the original writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

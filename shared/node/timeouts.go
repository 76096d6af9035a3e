package node

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/config"
)

// adminMinWriteTimeout is the least write timeout of the admin listener:
// a CPU profile or trace takes 30 s by default before its answer is
// written.
const adminMinWriteTimeout = 2 * time.Minute

// HTTPLimits are the timeouts and header limit of every listener (main,
// TLS and admin), the options' config.HTTPLimits (documented there). Zero
// values mean the defaults: headers within 10s, a request within 30s
// (streams exempt), each write within 30s, an idle keep-alive connection
// closed after 130s, headers at most 16 KiB.
type HTTPLimits config.HTTPLimits

// withDefaults fills the zero fields of l (config.HTTPLimits.WithDefaults).
func (l HTTPLimits) withDefaults() HTTPLimits {
	return HTTPLimits(config.HTTPLimits(l).WithDefaults())
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

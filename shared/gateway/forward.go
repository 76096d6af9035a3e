package gateway

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// forwardHeader marks a request another node forwarded here: it is served
// here or answered 404, never forwarded again.
const forwardHeader = "X-Herald-Forwarded-By"

// targetKey carries the owner's URL from forward to the proxy's Rewrite.
type targetKey struct{}

// newForwarder returns the reverse proxy that hands HTTP transport requests
// to the node holding their connection. Responses stream through unbuffered
// (event streams, polls); an owner that cannot be reached means the
// connection is gone: 404, and the client starts over.
func newForwarder(self string) *httputil.ReverseProxy {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(pr.In.Context().Value(targetKey{}).(*url.URL))
			pr.Out.Host = pr.In.Host // the access token's audience names the public host
			pr.Out.Header.Set(forwardHeader, cmp.Or(self, "1"))
		},
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			httpError(w, http.StatusNotFound, "No Connection with that ID")
		},
	}
}

// forward hands r to the node holding connection hub/id when that is
// another node, and reports whether r was answered (forwarded, or 503
// because the bus cannot tell). When the bus cannot tell, or no longer
// knows the connection, it forwards to the owner it found last time, if
// any (see owners).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, hub, id string) bool {
	if s.cfg.InternalURL == "" {
		return false
	}
	ctx, cancel := s.busContext(r.Context())
	addr, err := s.cfg.Bus.Locate(ctx, hub, id)
	cancel()
	switch {
	case errors.Is(err, bus.ErrConnectionNotFound):
		if addr = s.owners.lookup(hub, id); addr == "" {
			return false
		}
		s.log.Debug("forwarding to the last known owner: the bus does not know the connection (yet)", "hubName", hub, "connectionId", id, "to", addr)
	case err != nil:
		if addr = s.owners.lookup(hub, id); addr == "" {
			s.log.Warn("locate connection", "hubName", hub, "connectionId", id, "err", err)
			httpError(w, http.StatusServiceUnavailable, ReasonInternal)
			return true
		}
		s.log.Debug("forwarding to the last known owner: the bus cannot locate the connection", "hubName", hub, "connectionId", id, "to", addr, "err", err)
	case addr == "" || addr == s.cfg.InternalURL:
		return false
	default:
		s.owners.remember(hub, id, addr)
	}
	target, err := url.Parse(addr)
	if err != nil || target.Host == "" {
		s.log.Warn("connection registered with a bad node address", "hubName", hub, "connectionId", id, "addr", addr)
		return false
	}
	s.log.Debug("forwarding", "hubName", hub, "connectionId", id, "method", r.Method, "to", addr)
	s.forwarder.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, target)))
	return true
}

// DefaultInternalURL is the InternalURL for a node listening on addr:
// http:// and the listen address, or, when it listens on every interface,
// the first non-loopback IPv4 address of the machine with the port ("" when
// there is none).
func DefaultInternalURL(addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return ""
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = firstIPv4()
		if ip == nil {
			return ""
		}
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

func firstIPv4() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.To4()
		}
	}
	return nil
}

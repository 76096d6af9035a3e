package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// clientIP returns the address of the client that made r, without a
// port: with hops > 0 trusted proxies in front, the hops-th entry from the
// right of X-Forwarded-For (each proxy appends the address it saw), else
// (or when the header has fewer entries) the TCP peer's IP. The gateway
// reads the same header the same way (docs/diagnostics.md,
// `callerIpAddress`).
func clientIP(r *http.Request, hops int) string {
	if hops > 0 {
		var entries []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for _, e := range strings.Split(v, ",") {
				entries = append(entries, strings.TrimSpace(e))
			}
		}
		if n := len(entries); n >= hops && entries[n-hops] != "" {
			return entries[n-hops]
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

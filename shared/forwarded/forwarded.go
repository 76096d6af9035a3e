// Package forwarded finds the address of the client behind trusted
// proxies, the one way the gateway and the REST API both read it
// (docs/diagnostics.md, `callerIpAddress`).
package forwarded

import (
	"net"
	"net/http"
	"strings"
)

// ClientIP returns the address of the client that made r, without a port:
// with hops > 0 trusted proxies in front, the hops-th entry from the right
// of X-Forwarded-For (each proxy appends the address it saw), else (or when
// the header has fewer entries, or that entry is empty) the TCP peer's IP.
// It walks the header from the right without splitting it, so a long
// forged header costs no allocation.
func ClientIP(r *http.Request, hops int) string {
	if hops > 0 {
		vals := r.Header.Values("X-Forwarded-For")
		left := hops
	scan:
		for i := len(vals) - 1; i >= 0; i-- {
			v := vals[i]
			for {
				j := strings.LastIndexByte(v, ',')
				if left--; left == 0 {
					if e := strings.TrimSpace(v[j+1:]); e != "" {
						return e
					}
					break scan
				}
				if j < 0 {
					break
				}
				v = v[:j]
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

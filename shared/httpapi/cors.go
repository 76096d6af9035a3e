package httpapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// CORS headers: browsers call the negotiate endpoint (and the gateway)
// cross-origin, with credentials and the SignalR client's headers.
const (
	corsAllowMethods = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders = "Authorization, Content-Type, X-Requested-With, X-SignalR-User-Agent, x-ms-signalr-userid"
	corsMaxAge       = "600"
)

// AnyOrigin in CORSPolicy.Origins allows every origin, without credentials.
const AnyOrigin = "*"

// ErrCORSOrigin wraps an origin NewCORSPolicy refuses.
var ErrCORSOrigin = errors.New("httpapi: invalid CORS origin")

// CORSPolicy says which browser origins may call cross-origin. The zero
// value allows none: no CORS header is sent and browsers refuse
// cross-origin calls (same-origin pages and non-browser clients are not
// affected). Build one with NewCORSPolicy.
type CORSPolicy struct {
	origins   map[string]bool // normalised scheme://host[:port]
	any       bool            // "*": every origin, without credentials
	localhost bool            // http(s) origins on localhost, 127.0.0.1, [::1]
}

// NewCORSPolicy allows the listed origins (scheme://host[:port], such as
// https://app.example.com), answered with Access-Control-Allow-Origin set
// to the origin and Access-Control-Allow-Credentials: true. The single
// entry "*" allows every origin without credentials (browsers then send no
// cookies; SignalR's bearer tokens still work). Mixing "*" with origins,
// paths or other schemes than http and https are errors wrapping
// ErrCORSOrigin.
func NewCORSPolicy(origins []string) (CORSPolicy, error) {
	p := CORSPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == AnyOrigin {
			p.any = true
			continue
		}
		n, ok := normalOrigin(o)
		if !ok {
			return CORSPolicy{}, fmt.Errorf("%w: %q is not scheme://host[:port] (http or https, no path)", ErrCORSOrigin, o)
		}
		p.origins[n] = true
	}
	if p.any && len(p.origins) > 0 {
		return CORSPolicy{}, fmt.Errorf("%w: %q allows every origin; list origins or use it alone", ErrCORSOrigin, AnyOrigin)
	}
	return p, nil
}

// LocalhostCORS allows every http and https origin on localhost, 127.0.0.1
// and [::1] (any port) with credentials: the local emulator's default, for
// development servers of web apps on another port.
func LocalhostCORS() CORSPolicy { return CORSPolicy{localhost: true} }

// normalOrigin lower-cases an origin and checks its shape.
func normalOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// allow returns the Access-Control-Allow-Origin value for origin and
// whether credentials are allowed; "" refuses it.
func (p CORSPolicy) allow(origin string) (string, bool) {
	if p.any {
		return AnyOrigin, false
	}
	n, ok := normalOrigin(origin)
	if !ok {
		return "", false
	}
	if p.origins[n] {
		return origin, true
	}
	if p.localhost {
		u, _ := url.Parse(n)
		switch h := u.Hostname(); {
		case h == "localhost", net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback():
			return origin, true
		}
	}
	return "", false
}

// Wrap wraps next for cross-origin browser calls from the allowed origins:
// their responses carry Access-Control-Allow-Origin (and -Credentials,
// except for "*"), and their preflight requests (OPTIONS with
// Access-Control-Request-Method) are answered with 204, allowing the
// methods GET, POST, DELETE and the headers Authorization, Content-Type,
// X-Requested-With, X-SignalR-User-Agent and x-ms-signalr-userid. A
// preflight from another origin gets 403 without CORS headers, which
// browsers report as a CORS error. Requests without Origin, and actual
// requests from other origins, pass through untouched (without CORS
// headers the browser hides the answer from the page).
func (p CORSPolicy) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		allowed, creds := p.allow(origin)
		if allowed == "" {
			if preflight {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", allowed)
		if creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

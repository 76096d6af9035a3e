package httpapi

import "net/http"

// CORS headers: browsers call the negotiate endpoint (and the gateway)
// cross-origin, with credentials and the SignalR client's headers.
const (
	corsAllowMethods = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders = "Authorization, Content-Type, X-Requested-With, X-SignalR-User-Agent, x-ms-signalr-userid"
	corsMaxAge       = "600"
)

// CORS wraps next for cross-origin browser calls: it reflects the request's
// Origin with Access-Control-Allow-Credentials: true and answers preflight
// requests (OPTIONS with Access-Control-Request-Method) itself with 204,
// allowing the methods GET, POST, DELETE and the headers Authorization,
// Content-Type, X-Requested-With, X-SignalR-User-Agent and
// x-ms-signalr-userid. Requests without Origin pass through untouched.
//
// Reflecting any origin suits a development server and endpoints whose
// authority comes from bearer tokens rather than cookies; it is no
// protection against cross-site requests.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
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

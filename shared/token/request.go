package token

import (
	"net/http"
	"strings"
)

// FromRequest returns the bearer token of r: from an "Authorization: Bearer
// <token>" header (scheme case-insensitive), else from the access_token query
// parameter that browsers use for WebSockets and Server-Sent Events. It
// returns "" when r carries neither.
func FromRequest(r *http.Request) string {
	if r == nil {
		return ""
	}
	if scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if tok = strings.TrimSpace(tok); tok != "" {
			return tok
		}
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.Query().Get("access_token")
}

package httpapi

import (
	"net/http"
	"strings"

	"github.com/heraldrt/herald/shared/token"
)

// Claims of an app token (NegotiateConfig.App) that restrict what its
// bearer may negotiate. Absent, they restrict nothing. Each is a string
// (one name) or an array of strings; names compare case-insensitively and
// "*" allows any.
const (
	// ClaimHubs lists the hubs the bearer may negotiate for (hub names as
	// in ?hub=, without application).
	ClaimHubs = "herald.hubs"
	// ClaimApplications lists the applications the bearer may negotiate
	// for (as in ?application=); "" allows requests without an
	// application. With the claim present, a request without an
	// application needs "" (or "*") in the list.
	ClaimApplications = "herald.applications"
)

// codeForbidden answers a negotiate outside the app token's scope.
const codeForbidden = "Error.Request.Forbidden"

// checkAppScope refuses (403) a negotiate for a hub or application the app
// token's ClaimHubs or ClaimApplications does not list; a claim of another
// type is refused too (401), as a scope that cannot be read.
func checkAppScope(claims token.Claims, hub, app string) error {
	for _, c := range [...]struct{ name, value, what string }{
		{ClaimHubs, hub, "hub"},
		{ClaimApplications, app, "application"},
	} {
		v, present := claims[c.name]
		if !present {
			continue
		}
		names, ok := claimNames(v)
		if !ok {
			return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, auth: token.ReasonScope,
				msg: "Unauthorized: the app token's " + c.name + " claim must be a string or an array of strings."}
		}
		if !listed(names, c.value) {
			return &apiError{status: http.StatusForbidden, code: codeForbidden, target: c.what, auth: token.ReasonScope,
				msg: "Forbidden: the app token does not allow " + c.what + " " + quote(c.value) + " (claim " + c.name + ")."}
		}
	}
	return nil
}

// claimNames reads a string or an array of strings.
func claimNames(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func listed(names []string, v string) bool {
	for _, n := range names {
		if n == "*" || strings.EqualFold(n, v) {
			return true
		}
	}
	return false
}

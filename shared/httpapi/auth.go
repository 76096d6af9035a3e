package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldrt/herald/shared/token"
)

// authorize verifies the request's access token (Authorization: Bearer, or
// the access_token query parameter) for the request path.
func (s *rest) authorize(r *http.Request) error {
	raw := token.FromRequest(r)
	if raw == "" {
		return tokenError(token.ErrMissing)
	}
	// RESTToken: a client token (its audience names a hub) never passes,
	// and the audience's application must be the request's: a token
	// without one authorizes hubs without an application only.
	app := r.URL.Query().Get("application")
	_, err := s.verifier.Verify(raw, token.Audience{Kind: token.RESTToken, Application: app,
		Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Hosts: s.hosts})
	if err == nil {
		return nil
	}
	if errors.Is(err, token.ErrAudience) {
		// Say which rule failed: the audience alone does not tell.
		claims, cerr := s.verifier.Verify(raw, token.Audience{Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Hosts: s.hosts})
		switch {
		case cerr != nil:
		case isClientToken(claims.Audience()):
			return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, auth: token.ReasonWrongKind,
				msg: "Unauthorized: this is a client access token (its audience names a hub); the REST API needs a token whose audience is the REST URL."}
		case app == "":
			if other, ok := otherApplication(claims.Audience(), ""); ok {
				return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, auth: token.ReasonAudience,
					msg: "Unauthorized: the token was made for application " + quote(other) + ", not for the application this request names."}
			}
		default:
			return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, auth: token.ReasonAudience,
				msg: "Unauthorized: the request names application " + quote(app) + " but the token's audience does not (a token without application authorizes hubs without one only)."}
		}
	}
	return tokenError(err)
}

// otherApplication returns the application an audience entry names (its
// application query parameter, as the SDKs write it) when it is not the
// request's application, compared case-insensitively: the audience path
// does not carry the application, so without this check a token made for
// one application's hub would pass on every application's hub of that
// name.
func otherApplication(aud []string, app string) (string, bool) {
	for _, a := range aud {
		u, err := url.Parse(a)
		if err != nil {
			continue
		}
		for k, vs := range u.Query() {
			if strings.EqualFold(k, "application") && len(vs) > 0 && !strings.EqualFold(vs[0], app) {
				return vs[0], true
			}
		}
	}
	return "", false
}

// isClientToken reports whether a token was made for clients: client
// audiences carry a hub query parameter ("<base>client/?hub=chat"), REST
// audiences never do. The audience rule accepts a request path that ends
// with the audience path, so without this check a client token (aud path
// "/client") would authorize REST paths ending in a "client" segment, such
// as the existence check of a user named "client".
func isClientToken(aud []string) bool {
	for _, a := range aud {
		u, err := url.Parse(a)
		if err != nil {
			continue
		}
		for k := range u.Query() {
			if strings.EqualFold(k, "hub") {
				return true
			}
		}
	}
	return false
}

// tokenError turns a token verification error into a 401 whose message
// says why (503 when the verifier could not get its keys). The verifier's
// audience message names the expected and actual values; messages never
// contain key material. The error is labelled with token.Reason for the
// refusal's log record and metric.
func tokenError(err error) *apiError {
	if errors.Is(err, token.ErrKeySource) {
		return &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
			msg: "Cannot verify the token right now: the key source is unavailable. Retry later."}
	}
	msg := "Unauthorized: "
	switch {
	case errors.Is(err, token.ErrMissing):
		msg += "no access token; send Authorization: Bearer <token>."
	case errors.Is(err, token.ErrExpired):
		msg += "the access token has expired."
	case errors.Is(err, token.ErrNotYetValid):
		msg += "the access token is not valid yet (nbf is in the future)."
	case errors.Is(err, token.ErrSignature):
		msg += "invalid token signature (signed with a different access key?)."
	case errors.Is(err, token.ErrAlgorithm):
		msg += "the token's signing algorithm is not accepted."
	case errors.Is(err, token.ErrTooLong):
		msg += "the access token is too long."
	case errors.Is(err, token.ErrIssuer):
		msg += "the token's issuer is not accepted."
	case errors.Is(err, token.ErrMissingClaim):
		msg += "the token lacks a required claim (exp)."
	case errors.Is(err, token.ErrAudience):
		msg += err.Error()
	default:
		msg += "malformed access token."
	}
	return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, msg: msg, auth: token.Reason(err)}
}

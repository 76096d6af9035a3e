package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/heraldrt/herald/shared/token"
)

// The texts are Azure's, sent to clients as they are (so not in Go's
// error-string style).
var (
	//lint:ignore ST1005 Azure's wire text
	errHubMissing = errors.New("The 'hub' query parameter is required.")
	//lint:ignore ST1005 Azure's wire text
	errHubRepeated = errors.New("'hub' is a preserved query parameter and must appear once.")
	//lint:ignore ST1005 Azure's wire text
	errHubInvalid = errors.New("Invalid hub name.")
)

// hubParam returns the hub key of a request's query q, lower-cased.
func hubParam(q url.Values) (string, error) {
	vs := q["hub"]
	switch {
	case len(vs) == 0 || vs[0] == "":
		return "", errHubMissing
	case len(vs) > 1:
		return "", errHubRepeated
	}
	h := strings.ToLower(vs[0])
	if !validHubKey(h) {
		return "", errHubInvalid
	}
	return h, nil
}

// validHubKey accepts a hub name or an application-prefixed one
// ("app_hub"): letters first, then letters, digits and _`,.[] ; at most
// 128+1+128 characters.
func validHubKey(h string) bool {
	if len(h) == 0 || len(h) > 257 || !isLetter(h[0]) {
		return false
	}
	for i := 1; i < len(h); i++ {
		c := h[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && !strings.ContainsRune("_`,.[]", rune(c)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxUserLen is the longest user id (Azure: 1..1024 characters).
const maxUserLen = 1024

// errUserTooLong refuses a token whose user id is over maxUserLen.
var errUserTooLong = errors.New("the token's user id is longer than 1024 characters")

// authenticate verifies the client access token of r for hub.
func (s *Server) authenticate(r *http.Request, hub string) (token.Claims, error) {
	raw := token.FromRequest(r)
	if raw == "" {
		s.authRefused(r, hub, raw, token.ErrMissing)
		return nil, token.ErrMissing
	}
	// ClientToken: the audience must be "{base}/client/?hub={hub}"; a REST
	// token never passes, whatever the request path.
	claims, err := s.verifier.Verify(raw, token.Audience{Kind: token.ClientToken, Path: r.URL.Path, Hub: hub, Hosts: s.cfg.Hosts})
	if err == nil && utf8.RuneCountInString(claims.UserID()) > maxUserLen {
		err = errUserTooLong
	}
	if err != nil {
		s.authRefused(r, hub, raw, err)
		return nil, err
	}
	return claims, nil
}

// unauthorized answers 401 with a reason that helps the developer and
// reveals nothing about keys.
func unauthorized(w http.ResponseWriter, err error) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	httpError(w, http.StatusUnauthorized, TextUnauthorized+err.Error())
}

package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Token lifetime bounds of :generateToken, in minutes. Azure documents the
// default (60) and the minimum (1); the maximum is Herald's choice (about a
// year) so the lifetime cannot overflow.
const (
	defaultTokenMinutes = 60
	maxTokenMinutes     = 366 * 24 * 60
)

// userIDClaim carries the user id in client tokens, as the Management SDK
// and the Functions extension write it.
const userIDClaim = "asrs.s.uid"

type tokenBody struct {
	Token string `json:"token"`
}

// generateToken issues a client access token for the hub. The repeated
// group (and role) parameters of newer API versions are accepted and
// ignored.
func (s *rest) generateToken(c *call) (any, error) {
	q := c.r.URL.Query()
	user := q.Get("userId")
	if len(user) > maxUserLen {
		return nil, invalid("userId", "Invalid userId: it must have at most 1024 characters.")
	}
	minutes := defaultTokenMinutes
	if v := q.Get("minutesToExpire"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTokenMinutes {
			return nil, invalid("minutesToExpire", "Invalid minutesToExpire: it must be a whole number from 1 to "+strconv.Itoa(maxTokenMinutes)+".")
		}
		minutes = n
	}
	claims := map[string]any{}
	if user != "" {
		claims[userIDClaim] = user
	}
	aud := s.audienceBase(c.r) + "client/?hub=" + c.hub
	tok, err := s.issuer.Issue(aud, claims, time.Duration(minutes)*time.Minute)
	if err != nil {
		return nil, err
	}
	c.w.Header().Set("Cache-Control", "no-store")
	return tokenBody{Token: tok}, nil
}

// audienceBase is the configured client audience base, or the request's
// scheme and host without port (the Azure SDKs drop the port too).
func (s *rest) audienceBase(r *http.Request) string {
	if s.audBase != "" {
		return s.audBase
	}
	scheme, host := requestOrigin(r)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]" // IPv6 literal
		}
	}
	return scheme + "://" + host + "/"
}

package gateway

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

// System claims about a connection's lifetime.
const (
	// claimCloseOnAuthExpiration (asrs.s.coae, "true") asks for the
	// connection to be closed once its authentication expires.
	claimCloseOnAuthExpiration = "asrs.s.coae"
	// claimAuthExpiresOn (asrs.s.aeo, unix seconds) is when the
	// authentication expires; the token's exp when absent.
	claimAuthExpiresOn = "asrs.s.aeo"
	// claimHandshakeTimeout (asrs.s.cht, seconds) sets the handshake
	// timeout, at most maxHandshakeTimeout.
	claimHandshakeTimeout = "asrs.s.cht"
)

// maxHandshakeTimeout caps the asrs.s.cht claim, as Azure does.
const maxHandshakeTimeout = 30 * time.Second

// authExpiry returns when a connection authenticated by claims must be
// closed: zero unless the token asks for it with asrs.s.coae.
func authExpiry(claims token.Claims) time.Time {
	if !truthy(claims[claimCloseOnAuthExpiration]) {
		return time.Time{}
	}
	if sec, ok := number(claims[claimAuthExpiresOn]); ok && sec > 0 {
		return time.Unix(sec, 0)
	}
	exp, _ := claims.Expiry()
	return exp
}

// handshakeTimeout is def, or the asrs.s.cht claim's seconds capped at
// maxHandshakeTimeout.
func handshakeTimeout(claims token.Claims, def time.Duration) time.Duration {
	sec, ok := number(claims[claimHandshakeTimeout])
	if !ok || sec <= 0 {
		return def
	}
	return min(time.Duration(sec)*time.Second, maxHandshakeTimeout)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// number reads a whole number claim given as a JSON number or a string
// (the .NET SDK writes claim values as strings).
func number(v any) (int64, bool) {
	switch v := v.(type) {
	case float64:
		return int64(v), v >= -1e15 && v <= 1e15
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// expireIfDue closes c when its authentication expired by now and reports
// whether it did; otherwise it returns how long until it expires (or
// limit, whichever is sooner).
func (c *conn) expireIfDue(now time.Time, limit time.Duration) (time.Duration, bool) {
	if c.expires == 0 {
		return limit, false
	}
	left := time.Duration(c.expires - now.UnixNano())
	if left > 0 {
		return min(left, limit), false
	}
	c.srv.log.Info(ReasonTokenExpired, "hubName", c.hub, "connectionId", c.id, "userId", c.user)
	c.closeWithMessage(ReasonTokenExpired, false)
	return 0, true
}

package upstream

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Request headers of an upstream call
// (docs/compat/upstream.md#request-headers), written with this spelling
// (HTTP header names are case-insensitive).
const (
	// HeaderConnectionID carries the public connection id.
	HeaderConnectionID = "X-ASRS-Connection-Id"
	// HeaderHub carries the hub name.
	HeaderHub = "X-ASRS-Hub"
	// HeaderCategory carries CategoryConnections or CategoryMessages.
	HeaderCategory = "X-ASRS-Category"
	// HeaderEvent carries EventConnected, EventDisconnected or the
	// invocation target.
	HeaderEvent = "X-ASRS-Event"
	// HeaderUserID carries the user id; absent for anonymous connections.
	HeaderUserID = "X-ASRS-User-Id"
	// HeaderUserClaims carries the token claims (ClaimsHeader); absent
	// when there are none.
	HeaderUserClaims = "X-ASRS-User-Claims"
	// HeaderClientQuery carries the client's connect query (ClientQuery);
	// absent when empty.
	HeaderClientQuery = "X-ASRS-Client-Query"
	// HeaderSignature carries Signature; absent without AccessKeys.
	HeaderSignature = "X-ASRS-Signature"
)

// Content types of upstream request bodies.
const (
	// ContentTypeJSON is the type of connection events and of the
	// invocations of JSON clients.
	ContentTypeJSON = "application/json"
	// ContentTypeMessagePack is the type of the invocations of MessagePack
	// clients.
	ContentTypeMessagePack = "application/x-msgpack"
)

// Signature returns the X-ASRS-Signature value for connectionID: one
// "sha256=<HEX>" entry per key, where HEX is the upper-case hex HMAC-SHA256
// of the UTF-8 connection id keyed with the UTF-8 AccessKey, joined by ","
// without spaces (the Functions trigger splits on "," and does not trim).
// It returns "" when keys is empty.
func Signature(connectionID string, keys []string) string {
	var b strings.Builder
	for i, key := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(connectionID))
		b.WriteString("sha256=")
		b.WriteString(strings.ToUpper(hex.EncodeToString(m.Sum(nil))))
	}
	return b.String()
}

// reservedClaims are registered JWT claims the Azure SDK renames with the
// asrs.u. prefix when a caller sets them; they describe the token, not the
// user, and are not sent upstream.
var reservedClaims = map[string]bool{
	"aud": true, "exp": true, "iat": true, "nbf": true, "iss": true, "actort": true,
	"acr": true, "azp": true, "c_hash": true, "jti": true, "nonce": true,
}

const (
	systemClaimPrefix   = "asrs.s."
	reservedClaimPrefix = "asrs.u."
)

// ClaimsHeader formats a connection's token claims for X-ASRS-User-Claims:
// "type: value" pairs joined by ", ", what the Functions trigger parses into
// InvocationContext.Claims. Claim types are the raw JWT names; the
// registered claims (aud, exp, iat, nbf, iss, ...) and the asrs.s.* system
// claims are left out, and the asrs.u. prefix the SDK adds to a user claim
// named like a registered one is removed, as the server SDK does when it
// rebuilds the user. An array claim gives one pair per element. Strings are
// written as they are, numbers and booleans as JSON writes them, objects as
// compact JSON. Pairs are sorted by type (then kept in array order), since a
// map has no order. Control characters, which HTTP header values cannot
// carry, become spaces.
//
// A value containing a comma cannot be told apart from the next pair by a
// plain split; serverless.ParseClaims handles that case, the Functions
// trigger does not.
func ClaimsHeader(claims map[string]any) string {
	names := make([]string, 0, len(claims))
	for name := range claims {
		if reservedClaims[name] || strings.HasPrefix(name, systemClaimPrefix) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	add := func(name string, v any) {
		s, ok := claimValue(v)
		if !ok {
			return
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(headerSafe(strings.TrimPrefix(name, reservedClaimPrefix)))
		b.WriteString(": ")
		b.WriteString(headerSafe(s))
	}
	for _, name := range names {
		switch v := claims[name].(type) {
		case []any:
			for _, e := range v {
				add(name, e)
			}
		case []string:
			for _, e := range v {
				add(name, e)
			}
		default:
			add(name, v)
		}
	}
	return b.String()
}

// claimValue renders one claim value; false for nil.
func claimValue(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case json.Number:
		return v.String(), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
}

// headerSafe replaces the control characters an HTTP header value cannot
// carry (all but tab) with spaces.
func headerSafe(s string) string {
	if strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return ' '
		}
		return r
	}, s)
}

func isCtl(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) }

// ClientQuery returns the X-ASRS-Client-Query value for a client's connect
// query string (with or without its leading "?"): the query with a leading
// "?", minus access_token (the client's bearer token) and id (the secret
// connection token), which upstream functions have no use for and should
// not log. It returns "" when nothing is left. Parameter order and encoding
// are kept as the client sent them.
func ClientQuery(rawQuery string) string {
	rawQuery = strings.TrimPrefix(rawQuery, "?")
	var b strings.Builder
	for rest := rawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && (k == "access_token" || k == "id") {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

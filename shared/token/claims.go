package token

import (
	"encoding/json"
	"math"
	"time"
)

// Claim names with a meaning to Herald.
const (
	// ClaimUserID is the system claim the Azure SDKs put the user id in.
	ClaimUserID = "asrs.s.uid"
	// ClaimDiagnostic marks a diagnostic client ("true"), whose messages
	// the messaging logs record in their diagnostic mode.
	ClaimDiagnostic = "asrs.s.dc"
	// ClaimNameID is the short JWT name of .NET's NameIdentifier claim.
	ClaimNameID = "nameid"
	// ClaimSubject is the registered subject claim.
	ClaimSubject = "sub"
	// ClaimNameIdentifier is the long form of .NET's NameIdentifier claim.
	ClaimNameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
)

// Claims is a decoded JWT payload. JSON numbers decode as float64, arrays as
// []any and objects as map[string]any.
type Claims map[string]any

// UserID returns the user id of a client connection: the first non-empty of
// the asrs.s.uid, nameid, sub and long-form NameIdentifier claims, the order
// the Azure service uses. Only string values count; for an array (a claim
// given more than once) its first string is used. It returns "" when there is
// none.
func (c Claims) UserID() string {
	for _, name := range [...]string{ClaimUserID, ClaimNameID, ClaimSubject, ClaimNameIdentifier} {
		if s := firstString(c[name]); s != "" {
			return s
		}
	}
	return ""
}

// String returns the claim name when it is a string, else "" (absent, a
// number, an array, ...).
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Expiry returns the exp claim as a time; false when it is absent or not a
// number.
func (c Claims) Expiry() (time.Time, bool) {
	var sec float64
	switch v := c["exp"].(type) {
	case float64:
		sec = v
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return time.Time{}, false
		}
		sec = f
	case int64:
		sec = float64(v)
	case int:
		sec = float64(v)
	default:
		return time.Time{}, false
	}
	if math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) > 1e15 {
		return time.Time{}, false
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)), true
}

// Audience returns the aud claim as a list: one entry for a string, the
// string entries of an array, nil when absent.
func (c Claims) Audience() []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// firstString returns v if it is a string, or the first string of an array.
func firstString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []string:
		for _, s := range v {
			if s != "" {
				return s
			}
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}
